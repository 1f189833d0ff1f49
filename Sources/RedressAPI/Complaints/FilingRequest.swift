import Crypto
import Foundation
import NIOCore
import RedressCore
import RedressStore

/// The body of `POST /complaints`, and the validation that turns it into a complaint.
struct FilingRequest: Codable {
    struct OrderRequest: Codable {
        let orderNo: String?
        let productName: String?
        let amountPaid: Int?
        let currency: String?
        let orderedAt: Date?
        let paymentChannel: String?
        let paymentRef: String?
    }
    struct DemandRequest: Codable {
        let kind: String?
        let amount: Int?
        let text: String?
    }
    let platformID: UUID?
    let merchantID: UUID?
    let category: String?
    let title: String?
    let description: String?
    let order: OrderRequest?
    let demands: [DemandRequest]?
    let ultimatumDays: Int?
    /// Where the consumer thinks the fault lies.
    let faultClaim: String?
    /// The consumer's earlier complaint this one re-files, with supplementary material.
    let refiles: UUID?

    /// The complaint this request files for `actor`, every invalid field named (422), or the
    /// complaint as it stands before the platform is known (its state and deadlines are set when filed).
    func complaint(by actor: Actor, now: Date) throws(RedressError) -> Complaint {
        let body = self
        var fields = FieldValidator()
        if body.platformID == nil { fields.fail("platform_id", "required") }
        let category = ComplaintCategory(rawValue: body.category ?? "")
        if category == nil { fields.fail("category", body.category == nil ? "required" : "unknown_value") }
        let title = fields.text(body.title, field: "title", maxLength: 200)
        let description = fields.paragraph(body.description, field: "description", maxLength: 10_000)
        var order = OrderFacts(orderNo: "", productName: "", amountPaid: 0, currency: "CNY", orderedAt: nil, paymentChannel: nil, paymentRef: nil)
        if let given = body.order {
            order.orderNo = fields.text(given.orderNo, field: "order.order_no", maxLength: 100)
            order.productName = fields.text(given.productName, field: "order.product_name", maxLength: 200)
            if let amount = given.amountPaid, Money.isPositiveAmount(amount) {
                order.amountPaid = amount
            } else {
                fields.fail("order.amount_paid", given.amountPaid == nil ? "required" : "out_of_range")
            }
            // Figures never add different currencies: yuan only.
            if let currency = given.currency, currency != Money.currency {
                let wellFormed = currency.range(of: "^[A-Z]{3}$", options: .regularExpression) != nil
                fields.fail("order.currency", wellFormed ? "unsupported_currency" : "invalid_currency")
            }
            if let orderedAt = given.orderedAt {
                if orderedAt > now.addingTimeInterval(300) { fields.fail("order.ordered_at", "in_the_future") }
                order.orderedAt = orderedAt
            }
            order.paymentChannel = fields.optionalText(given.paymentChannel, field: "order.payment_channel", maxLength: 100)
            order.paymentRef = fields.optionalText(given.paymentRef, field: "order.payment_ref", maxLength: 200)
        } else {
            fields.fail("order", "required")
        }
        var demands: [Demand] = []
        let given = body.demands ?? []
        if given.isEmpty { fields.fail("demands", "required") }
        if given.count > 10 { fields.fail("demands", "too_many") }
        // Refunds together at most what was paid, compensation together within the legal limit.
        var refunds = 0, compensation = 0
        let paidKnown = body.order?.amountPaid != nil
        for (index, demand) in given.prefix(10).enumerated() {
            let field = "demands[\(index)]"
            guard let kind = Demand.Kind(rawValue: demand.kind ?? "") else {
                fields.fail("\(field).kind", demand.kind == nil ? "required" : "unknown_value")
                continue
            }
            let text = fields.optionalText(demand.text, field: "\(field).text", maxLength: 500)
            switch kind {
            case .refund, .compensation:
                if demand.amount == nil { fields.fail("\(field).amount", "required") }
                guard let amount = fields.positiveAmount(demand.amount, field: "\(field).amount") else { continue }
                if kind == .refund {
                    refunds += amount
                    if paidKnown && refunds > order.amountPaid { fields.fail("\(field).amount", "exceeds_amount_paid") }
                } else {
                    compensation += amount
                    if paidKnown && compensation > Money.compensationLimit(amountPaid: order.amountPaid) {
                        fields.fail("\(field).amount", "exceeds_compensation_limit")
                    }
                }
            case .other:
                if text == nil { fields.fail("\(field).text", "required") }
            case .reissue, .apology:
                if demand.amount != nil { fields.fail("\(field).amount", "not_allowed") }
            }
            demands.append(Demand(kind: kind, amount: demand.amount, text: text))
        }
        if let days = body.ultimatumDays, !(1...60).contains(days) { fields.fail("ultimatum_days", "out_of_range") }
        let faultClaim = body.faultClaim.flatMap(Fault.init(rawValue:))
        if body.faultClaim != nil && faultClaim == nil { fields.fail("fault_claim", "unknown_value") }
        try fields.check()
        var complaint = Complaint(
            id: UUID(), consumerID: actor.accountID, consumerName: "", platformID: body.platformID!, merchantID: body.merchantID,
            category: category!, title: title, description: description, order: order, demands: demands,
            ultimatumDays: body.ultimatumDays, state: Lifecycle.initialState(merchantFirst: false, merchantNamed: false), submittedAt: now)
        complaint.faultClaim = faultClaim
        complaint.refiles = body.refiles
        return complaint
    }

    /// The SHA-256 of what the body says, as it was read: a retry that writes the same content another
    /// way (its keys in another order, other spacing or escapes) is the same request. Every stored
    /// property is encoded (the encoding is synthesised), so a field added later is covered too.
    func contentDigest() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return SHA256.hash(data: try encoder.encode(self)).hexString
    }

    /// The digest keys were stored with until `contentDigest` replaced it (they live 24 hours): the
    /// body's JSON re-serialised with sorted keys.
    static func bodyDigest(_ body: ByteBuffer) -> String {
        let data = Data(body.readableBytesView)
        let canonical = (try? JSONSerialization.jsonObject(with: data))
            .flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? data
        return SHA256.hash(data: canonical).hexString
    }
}
