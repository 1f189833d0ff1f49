import Foundation
import RedressCore

/// The bodies the platform endpoints read.
extension PlatformController {
    struct CreatePlatformRequest: Decodable {
        let name: String?
        let companyName: String?
        let creditCode: String?
        let registeredAddress: String?
        let website: String?
        let responseDays: Int?
        let merchantFirst: Bool?
        let merchantResponseDays: Int?
        let defaultMediationBodyID: UUID?
    }

    /// A partial update: an absent field is left alone, `null` clears a clearable one.
    struct UpdatePolicyRequest: Decodable, AcceptsNullFields {
        static let nullableFields: Set<String> = ["website", "default_mediation_body_id"]

        var website: String??
        var responseDays: Int?
        var merchantFirst: Bool?
        var merchantResponseDays: Int?
        var defaultMediationBodyID: UUID??

        enum CodingKeys: String, CodingKey {
            case website, responseDays, merchantFirst, merchantResponseDays, defaultMediationBodyID
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if container.contains(.website) {
                website = try container.decodeNil(forKey: .website) ? .some(nil) : .some(try container.decode(String.self, forKey: .website))
            }
            responseDays = try container.decodeIfPresent(Int.self, forKey: .responseDays)
            merchantFirst = try container.decodeIfPresent(Bool.self, forKey: .merchantFirst)
            merchantResponseDays = try container.decodeIfPresent(Int.self, forKey: .merchantResponseDays)
            if container.contains(.defaultMediationBodyID) {
                defaultMediationBodyID = try container.decodeNil(forKey: .defaultMediationBodyID)
                    ? .some(nil) : .some(try container.decode(UUID.self, forKey: .defaultMediationBodyID))
            }
        }
    }

    struct CreateMerchantRequest: Decodable {
        let name: String?
        let shopURL: String?
        let creditCode: String?
    }

    struct UpdateMerchantRequest: Decodable {
        /// The code to record (a wrong one is corrected with the right one).
        let creditCode: String?
    }
}

extension FieldValidator {
    /// Working days a platform promises for a stage: at least one, at most the operator's standard
    /// (`longer_than_standard`: every platform is measured against the standard, and a longer promise
    /// would only keep consumers waiting); the standard when not given.
    mutating func promisedDays(_ value: Int?, field: String, standard: Int) -> Int {
        guard let value else { return standard }
        if value < 1 { fail(field, "out_of_range") } else if value > standard { fail(field, "longer_than_standard") }
        return value
    }
}
