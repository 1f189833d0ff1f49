import Foundation
import RedressCore
import Testing

@Suite("Validation")
struct ValidationTests {
    @Test(arguments: [
        ("  Zhang.San@Example.COM ", "zhang.san@example.com"),
        ("a+tag@sub.example.cn", "a+tag@sub.example.cn"),
    ])
    func emailsAreNormalised(raw: String, normalised: String) {
        #expect(EmailAddress.normalize(raw) == normalised)
    }

    @Test(arguments: ["plain", "a@b", "a@@b.cn", ".a@b.cn", "a..b@c.cn", "a@-b.cn", "a@b.123", "用户@例子.cn", "a b@c.cn",
                      String(repeating: "a", count: 65) + "@b.cn"])
    func malformedEmailsAreRefused(raw: String) {
        #expect(EmailAddress.normalize(raw) == nil)
    }

    @Test func passwordRules() {
        #expect(PasswordRules.problem(with: "short", email: "a@b.cn") == "too_short")
        #expect(PasswordRules.problem(with: String(repeating: "x", count: 129), email: "a@b.cn") == "too_long")
        #expect(PasswordRules.problem(with: "P@ssw0rd", email: "a@b.cn") == "common_password")
        #expect(PasswordRules.problem(with: "qwertyuiop", email: "a@b.cn") == "common_password")
        // From the far end of the 10,000-password list, and from the project's additions.
        #expect(PasswordRules.problem(with: "HappyDog", email: "a@b.cn") == "common_password")
        #expect(PasswordRules.problem(with: "cardinals", email: "a@b.cn") == "common_password")
        #expect(PasswordRules.problem(with: "woaini1314", email: "a@b.cn") == "common_password")
        #expect(PasswordRules.problem(with: "cardinals and a long tail", email: "a@b.cn") == nil)
        #expect(PasswordRules.problem(with: "zhangsan88", email: "zhangsan88@b.cn") == "same_as_email")
        #expect(PasswordRules.problem(with: "aaaaaaaaab", email: "a@b.cn") == "too_simple")
        #expect(PasswordRules.problem(with: "投诉要讲证据2026", email: "a@b.cn") == nil)
        #expect(PasswordRules.problem(with: String(repeating: "密", count: 128), email: "a@b.cn") == "too_simple")
    }

    @Test func phonesKeepDigitsAndALeadingPlus() {
        #expect(PhoneNumber.normalize("+86 138-0013-8000") == "+8613800138000")
        #expect(PhoneNumber.normalize("010 6512 3456") == "01065123456")
        #expect(PhoneNumber.normalize("12345") == nil)
        #expect(PhoneNumber.normalize("138x0013") == nil)
        #expect(PhoneNumber.normalize("1+38") == nil)
    }

    @Test func creditCodesCarryTheirCheckCharacter() {
        // Published codes of well-known companies.
        #expect(CreditCode.isValid("91110000802100433B"))
        #expect(CreditCode.isValid("914403001922038216"))
        #expect(!CreditCode.isValid("91110000802100433C"))
        #expect(!CreditCode.isValid("91110000802100433"))
        #expect(!CreditCode.isValid("9111000080210043IB"))  // I is not in the alphabet
        #expect(CreditCode.complete("91110000802100433") == "91110000802100433B")
    }

    @Test func validatorReportsEveryInvalidField() {
        var fields = FieldValidator()
        _ = fields.text(nil, field: "name", maxLength: 10)
        _ = fields.text("01234567890", field: "title", maxLength: 10)
        _ = fields.text("bell\u{7}", field: "note", maxLength: 10)
        _ = fields.integer(0, field: "days", in: 1...60, default: 7)
        _ = fields.webAddress("ftp://x.cn", field: "website")
        #expect(fields.invalidFields.map(\.reason) == ["required", "too_long", "control_characters", "out_of_range", "invalid_url"])
        #expect(throws: RedressError.self) { try fields.check() }
    }
}

@Suite("Pagination and languages")
struct PaginationTests {
    @Test func cursorsRoundTripExactly() throws {
        let cursor = PageCursor(microseconds: 1_795_000_000_123_456, id: UUID())
        let decoded = try #require(PageCursor(encoded: cursor.encoded))
        #expect(decoded == cursor)
        #expect(!cursor.encoded.contains("="))
        #expect(PageCursor(encoded: "not a cursor") == nil)
    }

    @Test func cursorsAreURLSafeBase64AsBefore() throws {
        // Enough ids that the base64 holds every character the mapping changes ('+', '/', '=').
        for n in 0..<200 {
            let cursor = PageCursor(microseconds: 1_795_000_000_000_000 + Int64(n) * 7_919, id: UUID())
            let raw = "\(cursor.microseconds):\(cursor.id.uuidString.lowercased())"
            let standard = Data(raw.utf8).base64EncodedString()
            let expected = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(cursor.encoded == expected)
            #expect(PageCursor(encoded: cursor.encoded) == cursor)
            // The standard alphabet, padding included, is read as well.
            #expect(PageCursor(encoded: standard) == cursor)
        }
        #expect(PageCursor(encoded: String(repeating: "A", count: 101)) == nil)
        #expect(PageCursor(encoded: "") == nil)
        #expect(PageCursor(encoded: "卡密卡密") == nil)
    }

    @Test func pageRequestsAreChecked() throws {
        #expect(try PageRequest.parse(limit: nil, cursor: nil).limit == 50)
        #expect(try PageRequest.parse(limit: "200", cursor: nil).limit == 200)
        #expect(throws: RedressError.self) { try PageRequest.parse(limit: "201", cursor: nil) }
        #expect(throws: RedressError.self) { try PageRequest.parse(limit: "-1", cursor: nil) }
        #expect(throws: RedressError.self) { try PageRequest.parse(limit: nil, cursor: "%%") }
    }

    @Test func aPageKnowsWhetherMoreFollow() {
        let page = Page(fetched: [1, 2, 3], limit: 2) { PageCursor(microseconds: Int64($0), id: UUID(uuid: UUID_NULL)) }
        #expect(page.items == [1, 2])
        #expect(page.nextCursor?.microseconds == 2)
        #expect(Page(fetched: [1, 2], limit: 2) { PageCursor(microseconds: Int64($0), id: UUID()) }.nextCursor == nil)
    }

    @Test func languageNegotiation() {
        #expect(Language.negotiate(acceptLanguage: nil) == .zhCN)
        #expect(Language.negotiate(acceptLanguage: "en-US,en;q=0.9") == .en)
        #expect(Language.negotiate(acceptLanguage: "zh-CN,zh;q=0.9,en;q=0.8") == .zhCN)
        #expect(Language.negotiate(acceptLanguage: "fr, en;q=0.5") == .en)
        #expect(Language.negotiate(acceptLanguage: "de") == .zhCN)
        for code in RedressError.Code.allCases {
            #expect(!code.title(in: .zhCN).isEmpty && !code.title(in: .en).isEmpty)
        }
    }
}

private let UUID_NULL: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
