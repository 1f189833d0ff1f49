import Foundation
import Hummingbird
import RedressCore
import RedressStore

struct PlatformResponse: Encodable, Sendable {
    let id: ResourceID
    let name: String
    let companyName: String
    let creditCode: String
    let registeredAddress: String
    let website: String?
    let responseDays: Int
    let merchantFirst: Bool
    let merchantResponseDays: Int
    let defaultMediationBodyID: ResourceID?
    let createdAt: Date

    init(_ platform: PlatformRecord) {
        id = ResourceID(platform.id)
        name = platform.name
        companyName = platform.companyName
        creditCode = platform.creditCode
        registeredAddress = platform.registeredAddress
        website = platform.website
        responseDays = platform.responseDays
        merchantFirst = platform.merchantFirst
        merchantResponseDays = platform.merchantResponseDays
        defaultMediationBodyID = ResourceID(platform.defaultMediationBodyID)
        createdAt = platform.createdAt
    }
}

struct MerchantResponse: Encodable, Sendable {
    let id: ResourceID
    let platformID: ResourceID
    let name: String
    let shopURL: String?
    let creditCode: String?
    let createdAt: Date

    init(_ merchant: MerchantRecord) {
        id = ResourceID(merchant.id)
        platformID = ResourceID(merchant.platformID)
        name = merchant.name
        shopURL = merchant.shopURL
        creditCode = merchant.creditCode
        createdAt = merchant.createdAt
    }
}
