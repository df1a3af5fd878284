// SPDX-License-Identifier: GPL-2.0
/*
 * rproc_sim: simulated remote processors for testing the remoteproc core in QEMU.
 *
 * Part of rprocd's real-kernel tier (Tests/Kernel/). Built in (CONFIG_RPROC_SIM=y), it registers
 * its own platform devices "sim-rproc.<i>" (bound to the driver "rproc-sim"), one rproc each, the
 * processors of the virtual board's lab board (Resources/boards/lab.conf; Tests/Kernel/guest.conf
 * describes this driver exactly, for the differential check):
 *
 *   i  name      state     firmware            notes
 *   0  m4        offline   m4.elf              dumps (ELF32, EM_NONE); trace; channels rpmsg-tty@0x400,
 *                                              rpmsg-raw@0x401, announced 5 ms after the start
 *   1  r5f       offline   r5f.elf             dumps (ELF32, EM_ARM); trace; channel rpmsg-raw@0x400
 *   2  bootcore  detached  rproc-bootcore-fw   .attach/.detach/.get_loaded_rsc_table: a resource table
 *                                              "left by the bootloader" at 0x10000060 (the sample
 *                                              firmware's); RPROC_FEAT_ATTACH_ON_RECOVERY; trace;
 *                                              channel rpmsg-raw@0x400
 *   3  ro-core   offline   ro.elf              sysfs_read_only (recovery/firmware/state/coredump 0444)
 *   4  slow      offline   slow.elf            start_delay_ms 1500, stop_delay_ms 500 initially
 *   5  broken    offline   broken.elf          fail_next_start 1000000 initially
 *   6  auto      offline   auto.elf            auto_boot (the only one); fails at probe without auto.elf
 *
 * Each has a vzalloc'ed 1 MiB device-memory window at device address 0x10000000 behind .da_to_va,
 * and the core's ELF helpers; "dumps" means the PT_LOAD segments of the booted image are the dump
 * segments and the coredump ELF identity is set.
 *
 * Fault knobs: module parameters, arrays indexed by processor i (= remoteprocN, as no other
 * remoteproc driver is built), writable at /sys/module/rproc_sim/parameters/<knob> as
 * "v0,v1,…,v6" (a shorter list leaves the later elements unchanged):
 *   start_delay_ms     ops->start/attach sleep this long first
 *   stop_delay_ms      ops->stop/detach sleep this long first
 *   fail_next_start    while > 0, ops->start/attach decrement it and return -EIO
 *   fail_next_stop     while > 0, ops->stop/detach decrement it and return -EIO
 *   crash_after_ms     when > 0, a simulated watchdog reports a crash (RPROC_WATCHDOG) this long
 *                      after each successful start/attach
 *   announce_delay_ms  delay of the remote's name-service announcements after the start/attach
 *                      has completed
 *
 * A successful start/attach writes "<name>: hello from the simulated remote" (NUL-terminated) at
 * the start of every trace buffer of the resource table in effect (processors with a trace text).
 *
 * The remote side of an rpmsg vdev (first RSC_VDEV with id VIRTIO_ID_RPMSG and 2 vrings): after
 * the start, the remote announces its channels (RPMSG_NS_CREATE to address 53) and echoes every
 * message sent to a channel address back to its sender. It reads the vrings the way real firmware
 * does, through the resource table in device memory. The work runs from .kick; a private
 * rproc_subdev, moved to the end of the subdev list on every start/attach, stops it before the
 * virtio device is torn down. A crashed remote answers nothing.
 */

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/elf.h>
#include <linux/firmware.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/remoteproc.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

#include "remoteproc_internal.h"
#include "remoteproc_elf_helpers.h"

#define SIM_COUNT 7
#define SIM_MEM_DA 0x10000000u
#define SIM_MEM_SIZE (1u << 20)
#define SIM_TABLE_DA 0x10000060u
#define SIM_TRACE_DA 0x10080000u
#define SIM_TRACE_LEN 4096u
#define SIM_NS_ADDR 53u
#define SIM_MAX_CHANNELS 2

struct sim_channel {
	const char *name;
	u32 addr;
};

static const struct sim_desc {
	const char *name;
	const char *firmware;
	bool detached, read_only, auto_boot, trace;
	int elf_machine;		/* dumps with this ELF machine; -1: no dumps */
	struct sim_channel channels[SIM_MAX_CHANNELS];
} sim_descs[SIM_COUNT] = {
	{ "m4", "m4.elf", .trace = true, .elf_machine = EM_NONE,
	  .channels = { { "rpmsg-tty", 0x400 }, { "rpmsg-raw", 0x401 } } },
	{ "r5f", "r5f.elf", .trace = true, .elf_machine = EM_ARM,
	  .channels = { { "rpmsg-raw", 0x400 } } },
	{ "bootcore", NULL, .detached = true, .trace = true, .elf_machine = -1,
	  .channels = { { "rpmsg-raw", 0x400 } } },
	{ "ro-core", "ro.elf", .read_only = true, .elf_machine = -1 },
	{ "slow", "slow.elf", .elf_machine = -1 },
	{ "broken", "broken.elf", .elf_machine = -1 },
	{ "auto", "auto.elf", .auto_boot = true, .elf_machine = -1 },
};

static unsigned int start_delay_ms[SIM_COUNT] = { [4] = 1500 };
static unsigned int stop_delay_ms[SIM_COUNT] = { [4] = 500 };
static unsigned int fail_next_start[SIM_COUNT] = { [5] = 1000000 };
static unsigned int fail_next_stop[SIM_COUNT];
static unsigned int crash_after_ms[SIM_COUNT];
static unsigned int announce_delay_ms[SIM_COUNT] = { [0] = 5 };
module_param_array(start_delay_ms, uint, NULL, 0644);
module_param_array(stop_delay_ms, uint, NULL, 0644);
module_param_array(fail_next_start, uint, NULL, 0644);
module_param_array(fail_next_stop, uint, NULL, 0644);
module_param_array(crash_after_ms, uint, NULL, 0644);
module_param_array(announce_delay_ms, uint, NULL, 0644);

/* The table a bootloader left for bootcore: the sample firmware's (Resources/firmware/sample). */
struct sim_table {
	u32 ver, num, reserved[2];
	u32 offset[2];
	struct fw_rsc_hdr trace_hdr;
	struct fw_rsc_trace trace;
	struct fw_rsc_hdr vdev_hdr;
	struct fw_rsc_vdev vdev;
	struct fw_rsc_vdev_vring vring[2];
} __packed;

struct sim_msg_hdr {
	__le32 src, dst, reserved;
	__le16 len, flags;
} __packed;

struct sim_ns_msg {
	char name[32];
	__le32 addr, flags;
} __packed;

struct sim_ring {
	struct vring vr;
	u16 last_avail;
	int notifyid;
};

struct sim {
	struct rproc *rproc;
	int idx;
	void *mem;
	struct delayed_work watchdog;
	/* remote side of the rpmsg vdev */
	struct rproc_subdev subdev;
	bool subdev_listed;
	struct mutex lock;		/* protects everything below */
	struct work_struct rpmsg_work;
	struct delayed_work announce_work;
	bool active, rings_ready, want_announce;
	int announced;			/* channels announced so far */
	struct sim_ring rx, tx;		/* host's rx (vring 0) and tx (vring 1) */
};

static unsigned int sim_knob(unsigned int *knob, struct sim *sim)
{
	return READ_ONCE(knob[sim->idx]);
}

/* Delay, then fail with -EIO while the fail counter is positive. */
static int sim_fault(struct sim *sim, unsigned int *delay, unsigned int *fail)
{
	unsigned int ms = sim_knob(delay, sim);

	if (ms)
		msleep(ms);
	if (sim_knob(fail, sim)) {
		WRITE_ONCE(fail[sim->idx], sim_knob(fail, sim) - 1);
		return -EIO;
	}
	return 0;
}

static void *sim_da_to_va(struct rproc *rproc, u64 da, size_t len, bool *is_iomem)
{
	struct sim *sim = rproc->priv;

	if (da < SIM_MEM_DA || len > SIM_MEM_SIZE || da - SIM_MEM_DA > SIM_MEM_SIZE - len)
		return NULL;
	return sim->mem + (da - SIM_MEM_DA);
}

/* Calls fn on every entry of the resource table in effect; stops when fn returns true. */
static void sim_for_each_rsc(struct rproc *rproc, bool (*fn)(struct sim *, u32, void *, size_t))
{
	struct resource_table *table = rproc->table_ptr;
	size_t size = rproc->table_sz;
	u32 i;

	if (!table || size < sizeof(*table) || table->num > (size - sizeof(*table)) / 4)
		return;
	for (i = 0; i < table->num; i++) {
		u32 off = table->offset[i];
		struct fw_rsc_hdr *hdr = (void *)table + off;

		if (off < sizeof(*table) || off >= size || size - off < sizeof(*hdr))
			return;
		if (fn(rproc->priv, hdr->type, hdr->data, size - off - sizeof(*hdr)))
			return;
	}
}

static bool sim_trace_one(struct sim *sim, u32 type, void *rsc, size_t avail)
{
	struct fw_rsc_trace *trace = rsc;
	char *va;

	if (type != RSC_TRACE || avail < sizeof(*trace) || !trace->len ||
	    !sim_descs[sim->idx].trace)
		return false;
	va = rproc_da_to_va(sim->rproc, trace->da, trace->len, NULL);
	if (va)
		snprintf(va, trace->len, "%s: hello from the simulated remote", sim->rproc->name);
	return false;
}

static void sim_watchdog(struct work_struct *work)
{
	struct sim *sim = container_of(to_delayed_work(work), struct sim, watchdog);

	rproc_report_crash(sim->rproc, RPROC_WATCHDOG);
}

/* Moves the rpmsg subdev to the end of the list, so it is started last and stopped first. */
static void sim_list_subdev(struct sim *sim)
{
	if (sim->subdev_listed)
		rproc_remove_subdev(sim->rproc, &sim->subdev);
	rproc_add_subdev(sim->rproc, &sim->subdev);
	sim->subdev_listed = true;
}

static int sim_power_up(struct rproc *rproc)
{
	struct sim *sim = rproc->priv;
	unsigned int crash_ms;
	int ret;

	ret = sim_fault(sim, start_delay_ms, fail_next_start);
	if (ret)
		return ret;
	sim_for_each_rsc(rproc, sim_trace_one);
	crash_ms = sim_knob(crash_after_ms, sim);
	if (crash_ms)
		schedule_delayed_work(&sim->watchdog, msecs_to_jiffies(crash_ms));
	sim_list_subdev(sim);
	return 0;
}

static int sim_power_down(struct rproc *rproc)
{
	struct sim *sim = rproc->priv;
	int ret;

	ret = sim_fault(sim, stop_delay_ms, fail_next_stop);
	if (ret)
		return ret;
	cancel_delayed_work_sync(&sim->watchdog);
	return 0;
}

static int sim_unprepare(struct rproc *rproc)
{
	struct sim *sim = rproc->priv;

	if (sim->subdev_listed) {
		rproc_remove_subdev(rproc, &sim->subdev);
		sim->subdev_listed = false;
	}
	return 0;
}

static int sim_parse_fw(struct rproc *rproc, const struct firmware *fw)
{
	struct sim *sim = rproc->priv;
	const u8 *elf = fw->data;
	u8 class = fw_elf_get_class(fw);
	u16 i, phnum = elf_hdr_get_e_phnum(class, elf);
	u64 phoff = elf_hdr_get_e_phoff(class, elf);
	int ret;

	ret = rproc_elf_load_rsc_table(rproc, fw);
	if (ret || sim_descs[sim->idx].elf_machine < 0)
		return ret;
	for (i = 0; i < phnum; i++) {
		const void *phdr = elf + phoff + i * elf_size_of_phdr(class);

		if (phoff + (i + 1) * elf_size_of_phdr(class) > fw->size)
			break;
		if (elf_phdr_get_p_type(class, phdr) != PT_LOAD || !elf_phdr_get_p_memsz(class, phdr))
			continue;
		ret = rproc_coredump_add_segment(rproc, elf_phdr_get_p_paddr(class, phdr),
						 elf_phdr_get_p_memsz(class, phdr));
		if (ret)
			return ret;
	}
	return 0;
}

static struct resource_table *sim_get_loaded_rsc_table(struct rproc *rproc, size_t *size)
{
	*size = sizeof(struct sim_table);
	return sim_da_to_va(rproc, SIM_TABLE_DA, *size, NULL);
}

/* ---- the remote side of the rpmsg vdev ---- */

static bool sim_find_vdev(struct sim *sim, u32 type, void *rsc, size_t avail)
{
	struct fw_rsc_vdev *vdev = rsc;
	struct sim_ring *rings[2] = { &sim->rx, &sim->tx };
	int i;

	if (type != RSC_VDEV || avail < sizeof(*vdev) + 2 * sizeof(vdev->vring[0]) ||
	    vdev->id != VIRTIO_ID_RPMSG || vdev->num_of_vrings != 2)
		return false;
	if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return true;
	for (i = 0; i < 2; i++) {
		struct fw_rsc_vdev_vring *v = &vdev->vring[i];
		void *va;

		if (!v->num || !v->align || v->da == 0 || v->da == FW_RSC_ADDR_ANY)
			return true;
		va = rproc_da_to_va(sim->rproc, v->da, vring_size(v->num, v->align), NULL);
		if (!va)
			return true;
		vring_init(&rings[i]->vr, v->num, va, v->align);
		rings[i]->notifyid = v->notifyid;
		rings[i]->last_avail = 0;
	}
	sim->rings_ready = true;
	return true;
}

/* Takes the next buffer the host made available on a ring. */
static void *sim_pop(struct sim_ring *r, u16 *head, u32 *len)
{
	u16 avail = __virtio16_to_cpu(true, READ_ONCE(r->vr.avail->idx));
	struct vring_desc *desc;
	u64 addr;

	if (r->last_avail == avail)
		return NULL;
	virt_rmb();
	*head = __virtio16_to_cpu(true, r->vr.avail->ring[r->last_avail % r->vr.num]) % r->vr.num;
	r->last_avail++;
	desc = &r->vr.desc[*head];
	addr = __virtio64_to_cpu(true, desc->addr);
	*len = __virtio32_to_cpu(true, desc->len);
	if (!pfn_valid(PHYS_PFN(addr)))
		return NULL;
	return phys_to_virt(addr);
}

static void sim_push(struct sim_ring *r, u16 head, u32 len)
{
	u16 used = __virtio16_to_cpu(true, r->vr.used->idx);
	struct vring_used_elem *e = &r->vr.used->ring[used % r->vr.num];

	e->id = __cpu_to_virtio32(true, head);
	e->len = __cpu_to_virtio32(true, len);
	virt_wmb();
	WRITE_ONCE(r->vr.used->idx, __cpu_to_virtio16(true, used + 1));
}

/* Sends one message to the host; false when the host has no rx buffer available. */
static bool sim_send(struct sim *sim, u32 src, u32 dst, const void *data, u16 len)
{
	struct sim_msg_hdr *hdr;
	u16 head;
	u32 size;

	hdr = sim_pop(&sim->rx, &head, &size);
	if (!hdr)
		return false;
	if (size < sizeof(*hdr) + len) {
		sim_push(&sim->rx, head, 0);
		return false;
	}
	hdr->src = cpu_to_le32(src);
	hdr->dst = cpu_to_le32(dst);
	hdr->reserved = 0;
	hdr->len = cpu_to_le16(len);
	hdr->flags = 0;
	memcpy(hdr + 1, data, len);
	sim_push(&sim->rx, head, sizeof(*hdr) + len);
	return true;
}

/* The address of one of the processor's announced channels, or 0. */
static u32 sim_channel_addr(struct sim *sim, u32 dst)
{
	const struct sim_channel *c = sim_descs[sim->idx].channels;
	int i;

	for (i = 0; i < sim->announced; i++)
		if (c[i].addr == dst)
			return dst;
	return 0;
}

static void sim_rpmsg_work(struct work_struct *work)
{
	struct sim *sim = container_of(work, struct sim, rpmsg_work);
	const struct sim_channel *channels = sim_descs[sim->idx].channels;
	bool sent = false, consumed = false;
	struct sim_msg_hdr *hdr;
	u16 head;
	u32 size;

	mutex_lock(&sim->lock);
	if (!sim->active || sim->rproc->state == RPROC_CRASHED)
		goto out;
	if (!sim->rings_ready)
		sim_for_each_rsc(sim->rproc, sim_find_vdev);
	if (!sim->rings_ready)
		goto out;
	while (sim->want_announce && sim->announced < SIM_MAX_CHANNELS &&
	       channels[sim->announced].name) {
		const struct sim_channel *c = &channels[sim->announced];
		struct sim_ns_msg ns = { .addr = cpu_to_le32(c->addr), .flags = 0 };

		strscpy(ns.name, c->name, sizeof(ns.name));
		if (!sim_send(sim, c->addr, SIM_NS_ADDR, &ns, sizeof(ns)))
			break;
		sim->announced++;
		sent = true;
	}
	while ((hdr = sim_pop(&sim->tx, &head, &size))) {
		u16 len = le16_to_cpu(hdr->len);
		u32 from = sim_channel_addr(sim, le32_to_cpu(hdr->dst));

		if (from && size >= sizeof(*hdr) + len)
			sent |= sim_send(sim, from, le32_to_cpu(hdr->src), hdr + 1, len);
		sim_push(&sim->tx, head, size);
		consumed = true;
	}
	if (consumed)
		rproc_vq_interrupt(sim->rproc, sim->tx.notifyid);
	if (sent)
		rproc_vq_interrupt(sim->rproc, sim->rx.notifyid);
out:
	mutex_unlock(&sim->lock);
}

/*
 * The announcement waits until the core has finished the start or attach (state running or
 * attached, "is now up" logged), so the kernel log always shows the channel after the processor.
 */
static void sim_announce_work(struct work_struct *work)
{
	struct sim *sim = container_of(to_delayed_work(work), struct sim, announce_work);
	enum rproc_state state = READ_ONCE(sim->rproc->state);

	if (state != RPROC_RUNNING && state != RPROC_ATTACHED) {
		if (READ_ONCE(sim->active))
			schedule_delayed_work(&sim->announce_work, 1);
		return;
	}
	mutex_lock(&sim->lock);
	sim->want_announce = true;
	mutex_unlock(&sim->lock);
	sim_rpmsg_work(&sim->rpmsg_work);
}

static void sim_kick(struct rproc *rproc, int vqid)
{
	struct sim *sim = rproc->priv;

	schedule_work(&sim->rpmsg_work);
}

static int sim_subdev_start(struct rproc_subdev *subdev)
{
	struct sim *sim = container_of(subdev, struct sim, subdev);

	mutex_lock(&sim->lock);
	sim->active = true;
	sim->rings_ready = false;
	sim->want_announce = false;
	sim->announced = 0;
	mutex_unlock(&sim->lock);
	schedule_delayed_work(&sim->announce_work,
			      msecs_to_jiffies(sim_knob(announce_delay_ms, sim)));
	return 0;
}

static void sim_subdev_stop(struct rproc_subdev *subdev, bool crashed)
{
	struct sim *sim = container_of(subdev, struct sim, subdev);

	mutex_lock(&sim->lock);
	sim->active = false;
	mutex_unlock(&sim->lock);
	cancel_delayed_work_sync(&sim->announce_work);
	cancel_work_sync(&sim->rpmsg_work);
}

/* ---- registration ---- */

static const struct rproc_ops sim_ops = {
	.unprepare = sim_unprepare,
	.start = sim_power_up,
	.stop = sim_power_down,
	.attach = sim_power_up,
	.detach = sim_power_down,
	.kick = sim_kick,
	.da_to_va = sim_da_to_va,
	.parse_fw = sim_parse_fw,
	.find_loaded_rsc_table = rproc_elf_find_loaded_rsc_table,
	.get_loaded_rsc_table = sim_get_loaded_rsc_table,
	.load = rproc_elf_load_segments,
	.sanity_check = rproc_elf_sanity_check,
	.get_boot_addr = rproc_elf_get_boot_addr,
};

static void sim_write_boot_table(struct sim *sim)
{
	struct sim_table *t = sim->mem + (SIM_TABLE_DA - SIM_MEM_DA);

	t->ver = 1;
	t->num = 2;
	t->offset[0] = offsetof(struct sim_table, trace_hdr);
	t->offset[1] = offsetof(struct sim_table, vdev_hdr);
	t->trace_hdr.type = RSC_TRACE;
	t->trace.da = SIM_TRACE_DA;
	t->trace.len = SIM_TRACE_LEN;
	strscpy(t->trace.name, "trace0", sizeof(t->trace.name));
	t->vdev_hdr.type = RSC_VDEV;
	t->vdev.id = VIRTIO_ID_RPMSG;
	t->vdev.dfeatures = 1;	/* VIRTIO_RPMSG_F_NS */
	t->vdev.num_of_vrings = 2;
	t->vring[0] = (struct fw_rsc_vdev_vring){ FW_RSC_ADDR_ANY, 16, 8, 0, 0 };
	t->vring[1] = (struct fw_rsc_vdev_vring){ FW_RSC_ADDR_ANY, 16, 8, 1, 0 };
}

static void sim_vfree(void *mem)
{
	vfree(mem);
}

static int sim_probe(struct platform_device *pdev)
{
	const struct sim_desc *desc;
	struct device *dev = &pdev->dev;
	struct rproc *rproc;
	struct sim *sim;
	int ret;

	if (pdev->id < 0 || pdev->id >= SIM_COUNT)
		return -ENODEV;
	desc = &sim_descs[pdev->id];

	ret = dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret)
		return ret;
	rproc = devm_rproc_alloc(dev, desc->name, &sim_ops, desc->firmware, sizeof(*sim));
	if (!rproc)
		return -ENOMEM;
	sim = rproc->priv;
	sim->rproc = rproc;
	sim->idx = pdev->id;
	sim->mem = vzalloc(SIM_MEM_SIZE);
	if (!sim->mem)
		return -ENOMEM;
	ret = devm_add_action_or_reset(dev, sim_vfree, sim->mem);
	if (ret)
		return ret;
	INIT_DELAYED_WORK(&sim->watchdog, sim_watchdog);
	INIT_WORK(&sim->rpmsg_work, sim_rpmsg_work);
	INIT_DELAYED_WORK(&sim->announce_work, sim_announce_work);
	mutex_init(&sim->lock);
	sim->subdev.start = sim_subdev_start;
	sim->subdev.stop = sim_subdev_stop;

	rproc->auto_boot = desc->auto_boot;
	rproc->sysfs_read_only = desc->read_only;
	if (desc->elf_machine >= 0)
		rproc_coredump_set_elf_info(rproc, ELFCLASS32, desc->elf_machine);
	if (desc->detached) {
		sim_write_boot_table(sim);
		rproc->state = RPROC_DETACHED;
		rproc_set_feature(rproc, RPROC_FEAT_ATTACH_ON_RECOVERY);
	}
	platform_set_drvdata(pdev, rproc);
	return devm_rproc_add(dev, rproc);
}

static const struct platform_device_id sim_ids[] = {
	{ "sim-rproc" },
	{ }
};

static struct platform_driver sim_driver = {
	.probe = sim_probe,
	.id_table = sim_ids,
	.driver = { .name = "rproc-sim" },
};

static int __init sim_init(void)
{
	int i, ret;

	ret = platform_driver_register(&sim_driver);
	if (ret)
		return ret;
	for (i = 0; i < SIM_COUNT; i++) {
		struct platform_device *pdev = platform_device_register_simple("sim-rproc", i, NULL, 0);

		if (IS_ERR(pdev))
			pr_err("rproc_sim: cannot register sim-rproc.%d: %ld\n", i, PTR_ERR(pdev));
	}
	return 0;
}
late_initcall(sim_init);

MODULE_DESCRIPTION("Simulated remote processors for testing the remoteproc core");
MODULE_LICENSE("GPL");
