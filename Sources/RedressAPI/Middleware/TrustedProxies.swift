import Foundation
import RedressCore

/// The load balancers in front of Redress (`REDRESS_TRUSTED_PROXIES`: addresses and IPv4 CIDR ranges,
/// comma-separated). Behind one, every connection comes from the proxy: the client's address — which
/// the login throttle counts failures by and the audit trail records — is the right-most address of
/// `X-Forwarded-For` that is not itself a trusted proxy. From anyone else the header is ignored, so a
/// client cannot choose the address it is throttled by.
public struct TrustedProxies: Sendable, Equatable {
    enum Entry: Sendable, Equatable {
        case exact(String)
        case ipv4(network: UInt32, mask: UInt32)
    }

    let entries: [Entry]

    public static let none = TrustedProxies(entries: [])

    /// nil when an entry is neither an IP address nor an IPv4 CIDR range.
    public init?(_ list: String) {
        var entries: [Entry] = []
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            if let slash = item.firstIndex(of: "/") {
                guard let address = Self.ipv4(item[..<slash]), let bits = Int(item[item.index(after: slash)...]), (0...32).contains(bits)
                else { return nil }
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
                entries.append(.ipv4(network: address & mask, mask: mask))
            } else if Self.ipv4(item[...]) != nil || (item.contains(":") && item.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }) {
                entries.append(.exact(IPAddress.canonical(item.lowercased())))
            } else {
                return nil
            }
        }
        self.entries = entries
    }

    init(entries: [Entry]) { self.entries = entries }

    public func contains(_ address: String) -> Bool {
        let address = IPAddress.canonical(address.lowercased())
        let parsed = Self.ipv4(address[...])
        return entries.contains { entry in
            switch entry {
            case .exact(let exact): exact == address
            case .ipv4(let network, let mask): parsed.map { $0 & mask == network } ?? false
            }
        }
    }

    /// The client's address for a connection from `peer` that carried `forwardedFor` headers.
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, !entries.isEmpty, contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard !hop.isEmpty, hop.count <= 45 else { return peer }
            if !contains(hop) { return hop }
        }
        return hops.first ?? peer
    }

    static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }
}
