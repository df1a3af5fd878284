// A sample remote-processor firmware that the project builds itself, with the host's gcc.
//
// It is a real ELF image in the layout the kernel's remoteproc ELF loader expects: PT_LOAD segments
// at device address 0x10000000 (the lab board's memory window, see sample.ld) and a
// `.resource_table` section with a trace buffer and an rpmsg virtio device (two vrings, the
// name-service feature). It is never executed on the host; the virtual board and the real
// remoteproc core in QEMU only load it. Built with -DSAMPLE_NO_RESOURCE_TABLE it has no table,
// which the kernel refuses with a bare "Boot failed: -22" (kernel-contract.md §6.4).
#include <stddef.h>
#include <stdint.h>

#define RSC_TRACE 2
#define RSC_VDEV 3
#define VIRTIO_ID_RPMSG 7
#define VIRTIO_RPMSG_F_NS 0   /* feature bit number */
#define FW_RSC_ADDR_ANY 0xffffffffu
#define TRACE_DA 0x10080000u   /* .trace in sample.ld */
#define TRACE_LEN 4096u

struct fw_rsc_trace { uint32_t type, da, len, reserved; char name[32]; } __attribute__((packed));
struct fw_rsc_vdev_vring { uint32_t da, align, num, notifyid, pa; } __attribute__((packed));
struct fw_rsc_vdev {
    uint32_t type, id, notifyid, dfeatures, gfeatures, config_len;
    uint8_t status, num_of_vrings, reserved[2];
    struct fw_rsc_vdev_vring vring[2];
} __attribute__((packed));
struct sample_resource_table {
    uint32_t ver, num, reserved[2];
    uint32_t offset[2];
    struct fw_rsc_trace trace;
    struct fw_rsc_vdev vdev;
} __attribute__((packed));

char trace_buffer[TRACE_LEN] __attribute__((section(".trace")));

#ifndef SAMPLE_NO_RESOURCE_TABLE
__attribute__((section(".resource_table"), used))
const struct sample_resource_table resource_table = {
    .ver = 1,
    .num = 2,
    .offset = { offsetof(struct sample_resource_table, trace), offsetof(struct sample_resource_table, vdev) },
    .trace = { RSC_TRACE, TRACE_DA, TRACE_LEN, 0, "trace0" },
    .vdev = {
        RSC_VDEV, VIRTIO_ID_RPMSG, 0, 1u << VIRTIO_RPMSG_F_NS, 0, 0, 0, 2, { 0, 0 },
        { { FW_RSC_ADDR_ANY, 16, 8, 0, 0 }, { FW_RSC_ADDR_ANY, 16, 8, 1, 0 } },
    },
};
#endif

static const char banner[] = "sample firmware: up\n";

/* Entry point: writes a line into the trace buffer, then idles. */
__attribute__((noreturn)) void _start(void) {
    volatile char *out = trace_buffer;
    for (size_t i = 0; i < sizeof banner - 1; i++) out[i] = banner[i];
    for (;;) { }
}
