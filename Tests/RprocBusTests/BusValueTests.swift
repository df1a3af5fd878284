@testable import RprocBus
import Testing

@Suite struct BusValueTests {
    @Test(arguments: ["s", "b", "u", "t", "o", "h", "as", "a(ssso)", "a(sssttss)", "a(sstb)", "a(ssuu)", "(uo)", "v", "a{sv}",
                      "y", "n", "q", "i", "x", "d", "g", "aa{s(ia{ox})}", "a{ya(vv)}"])
    func everySignatureOfTheAPIParsesAndPrintsBack(_ signature: String) throws {
        let t = try #require(BusType(signature))
        #expect(t.signature == signature)
    }

    @Test(arguments: ["", "a", "(", "()", "(s", "a{vs}", "a{s}", "a{sss}", "z", "ss)", String(repeating: "a", count: 33) + "s",
                      String(repeating: "s", count: 256)])
    func invalidSignaturesAreRejected(_ signature: String) {
        #expect(BusType(signature) == nil)
    }

    @Test func multipleCompleteTypes() {
        #expect(BusType.parse("sa{sv}as") == [.string, .dictionary(key: .string, value: .variant), .array(.string)])
        #expect(BusType.parse("") == [])
        #expect(BusType.parse("ss)") == nil)
    }

    @Test func valuesDeriveTheirSignature() {
        #expect(BusValue.strings([]).signature == "as")
        #expect(BusValue.properties([]).signature == "a{sv}")
        #expect(BusValue.structure([.uint32(1), .objectPath("/a")]).signature == "(uo)")
        #expect(BusValue.array(BusType("(ssuu)")!, []).signature == "a(ssuu)")
        #expect(BusValue.variant(.bool(true)).signature == "v")
    }

    @Test func wellTypedChecksEveryElement() {
        #expect(BusValue.array(.string, [.string("a"), .uint32(1)]).isWellTyped == false)
        #expect(BusValue.array(.string, [.string("a")]).isWellTyped)
        #expect(BusValue.dictionary(key: .string, value: .variant, [.init(.string("k"), .string("v"))]).isWellTyped == false)
        #expect(BusValue.structure([]).isWellTyped == false)
    }

    @Test func accessors() {
        let d = BusValue.properties([("A", .uint32(3)), ("B", .string("x"))])
        #expect(d.propertyDictionary == ["A": .uint32(3), "B": .string("x")])
        #expect(BusValue.strings(["a", "b"]).strings == ["a", "b"])
        #expect(BusValue.uint32(1).string == nil)
        #expect(BusValue.objectPath("/x").string == "/x")
    }

    @Test func objectPathEscapingMatchesSdBus() {
        #expect(ObjectPath.encode(prefix: itemPrefix, id: "remoteproc0") == itemPrefix + "/remoteproc0")
        #expect(ObjectPath.encode(prefix: itemPrefix, id: "m4-core.1") == itemPrefix + "/m4_2dcore_2e1")
        #expect(ObjectPath.encode(prefix: itemPrefix, id: "") == itemPrefix + "/_")
        for id in ["remoteproc0", "m4-core.1", "", "a b/c_d", "ü"] {
            #expect(ObjectPath.decode(ObjectPath.encode(prefix: itemPrefix, id: id), prefix: itemPrefix) == id)
        }
        #expect(ObjectPath.decode("/elsewhere/x", prefix: itemPrefix) == nil)
        #expect(ObjectPath.isValid("/a/b") && !ObjectPath.isValid("a/b") && !ObjectPath.isValid("/a/"))
    }

    @Test func addressEscaping() {
        #expect(BusClient.escapeAddressValue("/run/rprocd/control") == "/run/rprocd/control")
        #expect(BusClient.escapeAddressValue("/tmp/a b;c=d") == "/tmp/a%20b%3bc%3dd")
    }

    @Test func procStatusGroupsParse() {
        #expect(Credentials.parseStatusGroups("Name:\tx\nGroups:\t4 24 27 \nNSpid:\t1\n") == [4, 24, 27])
        #expect(Credentials.parseStatusGroups("Groups:\n") == [])
        #expect(Credentials.parseStatusGroups("Name: x\n") == nil)
    }

    @Test func authorizationPredicate() {
        #expect(Authorization.isAdmin(Credentials(uid: 0), adminGroup: nil))
        #expect(!Authorization.isAdmin(Credentials(uid: 1000, gid: 1000), adminGroup: nil))
        #expect(Authorization.isAdmin(Credentials(uid: 1000, gid: 1000, supplementaryGroups: [10, 990]), adminGroup: 990))
        #expect(Authorization.isAdmin(Credentials(uid: 1000, gid: 990), adminGroup: 990))
        #expect(!Authorization.isAdmin(Credentials(uid: 1000, gid: 1000, supplementaryGroups: [10]), adminGroup: 990))
    }

    @Test func introspectionEscapesAttributes() {
        #expect(Introspection.escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;")
    }
}
