import RedressAPI
import RedressStore
import Testing

/// Whose address a request is counted under behind a load balancer (`REDRESS_TRUSTED_PROXIES`).
@Suite("Trusted proxies")
struct TrustedProxiesTests {
    @Test func theClientIsTheRightMostAddressNotATrustedProxyAndOnlyBehindOne() throws {
        let proxies = try #require(TrustedProxies("10.0.0.0/8, 192.168.1.7,::1"))
        #expect(proxies.contains("10.200.3.4") && proxies.contains("192.168.1.7") && proxies.contains("::1"))
        #expect(!proxies.contains("11.0.0.1") && !proxies.contains("192.168.1.8"))
        // From a proxy: the right-most untrusted hop (a client may prepend anything it likes).
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: ["6.6.6.6, 203.0.113.9"]) == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: ["203.0.113.9, 10.2.2.2"]) == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: ["198.51.100.1", "203.0.113.9"]) == "203.0.113.9")
        // Every hop a proxy: the left-most; no header: the proxy itself.
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: ["10.3.3.3, 10.2.2.2"]) == "10.3.3.3")
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: []) == "10.1.1.1")
        // From anyone else the header is ignored: nobody chooses the address they are throttled by.
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"]) == "203.0.113.9")
        #expect(TrustedProxies.none.clientAddress(peer: "10.1.1.1", forwardedFor: ["1.2.3.4"]) == "10.1.1.1")
        // A dual-stack listener names an IPv4 peer as `::ffff:a.b.c.d`: still the same proxy.
        #expect(proxies.contains("::ffff:10.200.3.4") && proxies.contains("::FFFF:192.168.1.7") && !proxies.contains("::ffff:11.0.0.1"))
        #expect(proxies.clientAddress(peer: "::ffff:10.1.1.1", forwardedFor: ["203.0.113.9"]) == "203.0.113.9")
        // IPv6 written differently in the configuration and by the socket: the same address.
        let v6 = try #require(TrustedProxies("2001:DB8:0:0::1, 0:0:0:0:0:ffff:10.9.9.9"))
        #expect(v6.contains("2001:db8::1") && v6.contains("10.9.9.9") && v6.contains("::ffff:10.9.9.9") && !v6.contains("2001:db8::2"))
        // A hop too long to be an address is not believed.
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: [String(repeating: "9", count: 80)]) == "10.1.1.1")
    }

    /// Throttles count an IPv6 subscriber by its /64, and an IPv4 client as itself however written.
    @Test func throttlesCountAnAddressAsItsSubscriber() {
        #expect(Transaction.throttleAddress("2001:db8:1:2:aaaa::1") == Transaction.throttleAddress("2001:db8:1:2:bbbb::9"))
        #expect(Transaction.throttleAddress("2001:db8:1:2::1") != Transaction.throttleAddress("2001:db8:1:3::1"))
        #expect(Transaction.throttleAddress("::ffff:203.0.113.9") == "203.0.113.9")
        #expect(Transaction.throttleAddress("::ffff:203.0.113.9") != Transaction.throttleAddress("::ffff:198.51.100.1"))
        #expect(Transaction.throttleAddress("203.0.113.9") == "203.0.113.9")
    }

    @Test func entriesThatAreNotAddressesOrRangesAreRefused() {
        for bad in ["10.0.0.0/33", "10.0.0/8", "proxy.internal", "300.1.1.1", "10.0.0.1/x", "1.2.3.4.5"] {
            #expect(TrustedProxies(bad) == nil, "\(bad)")
        }
        #expect(TrustedProxies("0.0.0.0/0")?.contains("8.8.8.8") == true)
    }
}
