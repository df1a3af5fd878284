/// The standard interfaces every object answers.
package enum StandardInterface {
    case introspect, ping, getMachineID, get, getAll, set

    package static let introspectable = "org.freedesktop.DBus.Introspectable"
    package static let properties = "org.freedesktop.DBus.Properties"
    package static let peer = "org.freedesktop.DBus.Peer"

    /// The standard member a call names (a call without interface may still name Introspect, Ping or
    /// GetMachineId).
    package init?(name: String?, member: String) {
        switch (name, member) {
        case (Self.introspectable, "Introspect"), (nil, "Introspect"): self = .introspect
        case (Self.peer, "Ping"), (nil, "Ping"): self = .ping
        case (Self.peer, "GetMachineId"), (nil, "GetMachineId"): self = .getMachineID
        case (Self.properties, "Get"): self = .get
        case (Self.properties, "GetAll"): self = .getAll
        case (Self.properties, "Set"): self = .set
        default: return nil
        }
    }

    package var inTypes: [BusType] {
        switch self {
        case .introspect, .ping, .getMachineID: return []
        case .get: return [.string, .string]
        case .getAll: return [.string]
        case .set: return [.string, .string, .variant]
        }
    }

    /// Descriptions of the standard interfaces, for introspection.
    package static var descriptions: [BusInterface] {
        let none: BusMethod.Handler = { _ throws(BusError) in [] }
        return [
            BusInterface(peer, methods: [
                BusMethod("Ping", none),
                BusMethod("GetMachineId", out: [BusArgument("machine_uuid", .string)], none),
            ]),
            BusInterface(introspectable, methods: [
                BusMethod("Introspect", out: [BusArgument("xml_data", .string)], none),
            ]),
            BusInterface(properties, methods: [
                BusMethod("Get", in: [BusArgument("interface_name", .string), BusArgument("property_name", .string)],
                          out: [BusArgument("value", .variant)], none),
                BusMethod("GetAll", in: [BusArgument("interface_name", .string)],
                          out: [BusArgument("props", "a{sv}")], none),
                BusMethod("Set", in: [BusArgument("interface_name", .string), BusArgument("property_name", .string),
                                      BusArgument("value", .variant)], none),
            ], signals: [
                BusSignal("PropertiesChanged", [BusArgument("interface_name", .string),
                                                BusArgument("changed_properties", "a{sv}"),
                                                BusArgument("invalidated_properties", "as")]),
            ]),
        ]
    }
}

/// Introspection XML, derived from interface descriptions.
package enum Introspection {
    package static let doctype = """
        <!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
        "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">

        """

    /// The header and the standard interfaces, the same for every object.
    private static let standardPart: String = {
        var out = doctype + "<node>\n"
        for i in StandardInterface.descriptions { append(i, to: &out) }
        return out
    }()

    package static func xml(interfaces: [BusInterface], children: [String]) -> String {
        var out = standardPart
        for i in interfaces { append(i, to: &out) }
        for c in children { out += " <node name=\"\(escape(c))\"/>\n" }
        out += "</node>\n"
        return out
    }

    private static func append(_ i: BusInterface, to out: inout String) {
        out += " <interface name=\"\(escape(i.name))\">\n"
        for m in i.methods {
            let annotations = (m.flags.contains(.noReply) ? [("org.freedesktop.DBus.Method.NoReply", "true")] : [])
                + (m.flags.contains(.deprecated) ? [("org.freedesktop.DBus.Deprecated", "true")] : [])
            if m.inArgs.isEmpty && m.outArgs.isEmpty && annotations.isEmpty {
                out += "  <method name=\"\(escape(m.name))\"/>\n"
                continue
            }
            out += "  <method name=\"\(escape(m.name))\">\n"
            for a in m.inArgs { out += "   <arg type=\"\(escape(a.type.signature))\" name=\"\(escape(a.name))\" direction=\"in\"/>\n" }
            for a in m.outArgs { out += "   <arg type=\"\(escape(a.type.signature))\" name=\"\(escape(a.name))\" direction=\"out\"/>\n" }
            for (k, v) in annotations { out += "   <annotation name=\"\(k)\" value=\"\(v)\"/>\n" }
            out += "  </method>\n"
        }
        for s in i.signals {
            if s.args.isEmpty {
                out += "  <signal name=\"\(escape(s.name))\"/>\n"
                continue
            }
            out += "  <signal name=\"\(escape(s.name))\">\n"
            for a in s.args { out += "   <arg type=\"\(escape(a.type.signature))\" name=\"\(escape(a.name))\"/>\n" }
            out += "  </signal>\n"
        }
        for p in i.properties {
            let access = p.setter == nil ? "read" : "readwrite"
            out += "  <property name=\"\(escape(p.name))\" type=\"\(escape(p.type.signature))\" access=\"\(access)\">\n"
            out += "   <annotation name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"\(p.change.rawValue)\"/>\n"
            out += "  </property>\n"
        }
        out += " </interface>\n"
    }

    /// Escapes `&`, `<`, `>`, `"` and `'` for an XML attribute.
    package static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
