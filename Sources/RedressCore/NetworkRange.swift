import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An IP address as 16 bytes: IPv4 as an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), so that one
/// comparison covers both families.
public struct IPBytes: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        bytes = withUnsafeBytes(of: &v6) { Array($0) }
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// The IPv4 address this is, written as IPv6 or not.
    public var ipv4: [UInt8]? {
        bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF ? Array(bytes[12...]) : nil
    }

    public var description: String {
        if let ipv4 { return ipv4.map(String.init).joined(separator: ".") }
        return IPAddress.canonical(
            stride(from: 0, to: 16, by: 2).map { String(format: "%x", Int(bytes[$0]) << 8 | Int(bytes[$0 + 1])) }.joined(separator: ":"))
    }
}

/// A CIDR range (`10.0.0.0/8`, `fd00::/8`), IPv4 ranges held as their IPv4-mapped IPv6 range.
public struct NetworkRange: Sendable, Hashable, CustomStringConvertible {
    public let network: IPBytes
    /// Leading bits that must match, counted on the 16-byte form.
    public let prefixLength: Int

    /// `address/bits`, or a bare address (its own /32 or /128); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPBytes(String(parts[0])) else { return nil }
        let isIPv4 = !parts[0].contains(":")
        let maximum = isIPv4 ? 32 : 128
        var bits = maximum
        if parts.count == 2 {
            guard parts[1].count <= 3, parts[1].allSatisfy(\.isASCII), let value = Int(parts[1]), (0...maximum).contains(value) else { return nil }
            bits = value
        }
        self.init(network: address, prefixLength: isIPv4 ? 96 + bits : bits)
    }

    init(network: IPBytes, prefixLength: Int) {
        var masked = network.bytes
        for index in 0..<16 {
            let keep = max(0, min(8, prefixLength - index * 8))
            masked[index] &= keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        self.network = IPBytes(bytes: masked)!
        self.prefixLength = prefixLength
    }

    public func contains(_ address: IPBytes) -> Bool {
        NetworkRange(network: address, prefixLength: prefixLength).network == network
    }

    public var description: String {
        network.ipv4 != nil ? "\(network)/\(prefixLength - 96)" : "\(network)/\(prefixLength)"
    }

    /// Addresses that are not the public internet: this host, private and shared networks, link-local
    /// (the cloud metadata service at 169.254.169.254 and fd00:ec2::254 among them), documentation,
    /// benchmarking, multicast and reserved ranges (IANA's special-purpose registries). IPv6 forms that
    /// carry an IPv4 address (NAT64, 6to4, IPv4-compatible) are judged by that address as well.
    public static let nonPublic: [NetworkRange] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ].map { NetworkRange($0)! }

    /// Whether `address` lies outside every non-public range, including the IPv4 address an IPv6
    /// address carries.
    public static func isPublic(_ address: IPBytes) -> Bool {
        embeddedIPv4(address).allSatisfy { candidate in !nonPublic.contains { $0.contains(candidate) } }
    }

    /// The address itself and any IPv4 address it embeds.
    static func embeddedIPv4(_ address: IPBytes) -> [IPBytes] {
        let b = address.bytes
        var found = [address]
        func mapped(_ four: ArraySlice<UInt8>) -> IPBytes { IPBytes(bytes: [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + four)! }
        if b[0..<12].allSatisfy({ $0 == 0 }) { found.append(mapped(b[12..<16])) }  // ::a.b.c.d (deprecated IPv4-compatible)
        if b[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { found.append(mapped(b[12..<16])) }  // 64:ff9b::/96 NAT64
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B, b[4] == 0x00, b[5] == 0x01 { found.append(mapped(b[12..<16])) }  // 64:ff9b:1::/48
        if b[0] == 0x20, b[1] == 0x02 { found.append(mapped(b[2..<6])) }  // 2002::/16 6to4
        return found
    }
}
