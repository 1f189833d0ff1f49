import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A client's address as Redress compares and counts it, whatever the socket or a header wrote.
public enum IPAddress {
    /// One spelling per address: IPv6 in its canonical form (`2001:db8::1`, not `2001:db8:0:0::1`),
    /// an IPv4 address written as IPv6 (`::ffff:10.0.0.1`, as a dual-stack listener reports a peer)
    /// as IPv4, anything else as it is.
    public static func canonical(_ address: String) -> String {
        guard address.contains(":"), let bytes = ipv6Bytes(address) else { return address }
        if let ipv4 = mappedIPv4(bytes) { return ipv4 }
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &storage, &text, socklen_t(text.count)) != nil else { return address }
        return String(cString: text)
    }

    /// The subscriber an address belongs to, as throttles count: IPv4 whole (mapped or not), IPv6 by
    /// its /64 (one subscriber's network).
    public static func subscriber(_ address: String) -> String {
        guard address.contains(":"), let bytes = ipv6Bytes(address) else { return address }
        if let ipv4 = mappedIPv4(bytes) { return ipv4 }
        return bytes.prefix(8).map { String(format: "%02x", $0) }.joined() + "::/64"
    }

    private static func ipv6Bytes(_ address: String) -> [UInt8]? {
        var storage = in6_addr()
        guard inet_pton(AF_INET6, address, &storage) == 1 else { return nil }
        return withUnsafeBytes(of: &storage) { Array($0) }
    }

    private static func mappedIPv4(_ bytes: [UInt8]) -> String? {
        guard bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
        return bytes[12...].map(String.init).joined(separator: ".")
    }
}
