import Foundation
import RedressStore
import Testing

@Suite("Keys outside the database")
struct KeyringTests {
    static let old = "k1 " + String(repeating: "ab", count: 32)
    static let new = "k2 " + String(repeating: "cd", count: 32)

    @Test func keyFilesAreParsedStrictly() throws {
        let keys = try Keyring(parsing: "# newest first, then older ones: keep them\n\(Self.new)\n\n\(Self.old)  # retired, kept\n")
        #expect(keys.current.id == "k2")
        #expect(keys.key(id: "k1") != nil)
        #expect(try Keyring(parsing: "k2:\(String(repeating: "cd", count: 32)),\(Self.old)").current.id == "k2")
        #expect(throws: Keyring.Problem.empty) { try Keyring(parsing: "# nothing\n") }
        #expect(throws: Keyring.Problem.malformedLine(1)) { try Keyring(parsing: "k1 abcd") }
        #expect(throws: Keyring.Problem.malformedLine(1)) { try Keyring(parsing: "K1 " + String(repeating: "ab", count: 32)) }
        #expect(throws: Keyring.Problem.malformedLine(1)) { try Keyring(parsing: String(repeating: "a", count: 17) + " " + String(repeating: "ab", count: 32)) }
        #expect(throws: Keyring.Problem.malformedLine(2)) { try Keyring(parsing: "\(Self.new)\nk1 " + String(repeating: "zz", count: 32)) }
        #expect(throws: Keyring.Problem.malformedLine(1)) { try Keyring(parsing: "k1 " + String(repeating: "０", count: 64)) }
        #expect(try Keyring(parsing: "# made on Windows, comment, commas\r\n\(Self.old)\r\n").current.id == "k1")
        // The file the service makes for a private database parses.
        #expect(try Keyring(parsing: Keyring.newFile()).current.id == "k1")
        #expect(throws: Keyring.Problem.duplicateID("k1")) { try Keyring(parsing: "\(Self.old)\n\(Self.old)") }
    }

    /// A secret sealed under the old key opens after rotation; one sealed under a key since removed,
    /// or altered, does not open at all.
    @Test func rotationKeepsOlderSecretsReadable() throws {
        let before = try Keyring(parsing: Self.old)
        let sealed = try before.seal(Array("JBSWY3DPEHPK3PXP".utf8))
        #expect(sealed.hasPrefix("k1:"))
        #expect(!sealed.contains("JBSWY3DPEHPK3PXP"))
        let rotated = try Keyring(parsing: "\(Self.new)\n\(Self.old)")
        #expect(rotated.open(sealed) == Array("JBSWY3DPEHPK3PXP".utf8))
        #expect(try rotated.seal([1, 2, 3]).hasPrefix("k2:"))
        #expect(try Keyring(parsing: Self.new).open(sealed) == nil)
        var tampered = Array(sealed.utf8)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(rotated.open(String(decoding: tampered, as: UTF8.self)) == nil)
        #expect(rotated.open("k9:AAAA") == nil)
        #expect(rotated.open("no colon") == nil)
    }
}
