import Foundation
import RprocJSON
import Testing

/// `rprocctl inspect` on the vendor images in Tests/RprocFirmwareTests/Fixtures, checked against
/// their catalogue (an independent pyelftools decode), read with RprocJSON's own parser.
@Suite struct FixtureTests {
    static let directory = Rprocctl.packageRoot.appendingPathComponent("Tests/RprocFirmwareTests/Fixtures")

    /// The catalogue entries whose file is among the fixtures.
    static let catalogue: [JSONValue] = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("catalogue.json")),
            let value = try? JSONParser().parse([UInt8](data)), let entries = value.arrayValue
        else { return [] }
        return entries.filter { entry in
            guard let file = entry["file"]?.stringValue else { return false }
            return FileManager.default.fileExists(atPath: directory.appendingPathComponent(fileName(file)).path)
        }
    }()

    static func fileName(_ cataloguePath: String) -> String { String(cataloguePath.split(separator: "/").last ?? "") }

    static var fixtureNames: [String] { catalogue.compactMap { $0["file"]?.stringValue }.map(fileName) }

    @Test func catalogueIsReadAndListsTheFixtures() {
        #expect(Self.catalogue.count >= 4)
    }

    @Test(arguments: fixtureNames)
    func humanOutputMatchesSnapshot(_ name: String) throws {
        let result = try Rprocctl.run("inspect", name, in: Self.directory)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        try Snapshot.assertMatches(result.stdout, "fixture-\(name).txt")
    }

    @Test(arguments: fixtureNames)
    func jsonMatchesTheCatalogue(_ name: String) throws {
        let entry = try #require(Self.catalogue.first { Self.fileName($0["file"]?.stringValue ?? "") == name })
        let result = try Rprocctl.run("inspect", "--json", name, in: Self.directory)
        #expect(result.status == 0)
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["path"]?.stringValue == name)
        #expect(json["size"] == entry["size"])

        let elf = try #require(entry["elf"])
        #expect(json["elf"]?["class"] == elf["class"])
        #expect(json["elf"]?["byteOrder"] == elf["endian"])
        #expect(json["elf"]?["entry"] == elf["entry"])
        #expect(json["elf"]?["phnum"] == elf["phnum"])
        #expect(json["elf"]?["shnum"] == elf["shnum"])
        #expect(json["elf"]?["type"]?.stringValue == elf["type"]?.stringValue.map { String($0.dropFirst(3)) })
        #expect(json["elf"]?["machineName"] == entry["readelf"]?["machine"])

        // Every PT_LOAD, in order, with the same fields.
        let loads = json["segments"]?.arrayValue?.filter { $0["type"] == "LOAD" } ?? []
        let expected = elf["segments"]?.arrayValue ?? []
        #expect(loads.count == expected.count)
        for (segment, want) in zip(loads, expected) {
            for key in ["offset", "vaddr", "paddr", "filesz", "memsz"] {
                #expect(segment[key] == want[key], "\(name) segment \(segment["index"] ?? .null) \(key)")
            }
            let flags = want["flags"]?.int64Value ?? 0
            let letters = (flags & 4 != 0 ? "R" : "") + (flags & 2 != 0 ? "W" : "") + (flags & 1 != 0 ? "X" : "")
            #expect(segment["flags"]?.stringValue == letters)
        }

        let rsc = try #require(entry["rsc"])
        guard rsc["present"] == true else {
            #expect(json["resourceTable"] == .null)
            #expect(json["findings"]?.arrayValue?.contains { $0["code"] == "rsc.missing" } == true)
            return
        }
        let table = try #require(json["resourceTable"])
        #expect(table["section"] == ".resource_table")
        #expect(table["offset"] == rsc["sh_offset"])
        #expect(table["addr"] == rsc["sh_addr"])
        #expect(table["size"] == rsc["sh_size"])
        #expect(table["version"] == rsc["table"]?["ver"])
        #expect(table["num"] == rsc["table"]?["num"])
        #expect(table["reserved"] == rsc["table"]?["reserved"])
        let entries = table["entries"]?.arrayValue ?? []
        let wanted = rsc["table"]?["entries"]?.arrayValue ?? []
        #expect(entries.count == wanted.count)
        for (got, want) in zip(entries, wanted) {
            #expect(got["index"] == want["index"])
            #expect(got["offset"] == want["offset"])
            #expect(got["type"] == want["type_name"])
            switch want["type_name"]?.stringValue {
            case "vdev":
                for key in ["id", "notifyid", "dfeatures", "gfeatures", "status", "reserved", "vrings"] {
                    #expect(got[key] == want[key], "\(name) entry \(got["index"] ?? .null) \(key)")
                }
                #expect(got["configLen"] == want["config_len"])
                #expect(got["numOfVrings"] == want["num_of_vrings"])
            case "unknown", "vendor":
                #expect(got["rawType"] == want["type"])
            case "carveout", "devmem", "trace":
                for key in ["da", "len", "name"] { #expect(got[key] == want[key]) }
            default:
                Issue.record("catalogue entry type \(want["type_name"] ?? .null) not covered")
            }
        }
    }
}
