import Foundation

// Statistics write their own JSON (`DirectJSON`): a platform's year by month is 21 sets of 35 figures,
// and through Codable and the tree writer they were an eighth of the service's CPU for the request.
// Members go in the order of their keys' bytes; absent optionals are left out, `Nullable`s are `null`.

extension PlatformStatisticsResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("by_category", byCategory)
        json.key("from"); json.string(from)
        json.key("granularity"); json.string(granularity)
        json.member("platform", platform)
        json.member("series", series)
        json.key("time_zone"); json.string(timeZone)
        json.key("to"); json.string(to)
        json.member("totals", totals)
        json.endObject()
    }
}

extension CategoryMetricsResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.key("category"); json.string(category)
        json.member("metrics", metrics)
        json.endObject()
    }
}

extension PeriodMetricsResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("metrics", metrics)
        json.key("period"); json.string(period)
        json.endObject()
    }
}

extension MetricsResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.key("amount_claimed"); json.int(amountClaimed)
        json.key("amount_refunded"); json.int(amountRefunded)
        json.key("awaiting_response"); json.int(awaitingResponse)
        json.key("closed_unresolved"); json.int(closedUnresolved)
        json.key("closed_with_explanation"); json.int(closedWithExplanation)
        json.key("collective"); json.int(collective)
        json.key("complaints"); json.int(complaints)
        json.key("counted"); json.int(counted)
        json.key("currency"); json.string(currency)
        json.key("due"); json.int(due)
        json.key("escalated"); json.int(escalated)
        json.key("escalation_rate"); json.value(escalationRate)
        json.key("found_consumer_error"); json.int(foundConsumerError)
        json.key("found_merchant"); json.int(foundMerchant)
        json.key("found_platform"); json.int(foundPlatform)
        json.key("found_shared"); json.int(foundShared)
        json.key("held_without_answer"); json.int(heldWithoutAnswer)
        json.key("invalid"); json.int(invalid)
        if let medianFirstResponseHours { json.key("median_first_response_hours"); json.nullable(medianFirstResponseHours.value) { $0.double($1) } }
        json.key("on_time_rate"); json.value(onTimeRate)
        json.key("ratings"); json.int(ratings)
        json.key("referred"); json.int(referred)
        json.key("repeat_complaints"); json.int(repeatComplaints)
        json.key("repeat_rate"); json.value(repeatRate)
        json.key("resolution_rate"); json.value(resolutionRate)
        json.key("resolved"); json.int(resolved)
        json.key("resolved_monetary"); json.int(resolvedMonetary)
        json.key("resolved_non_monetary"); json.int(resolvedNonMonetary)
        json.key("responded"); json.int(responded)
        json.key("responded_on_time"); json.int(respondedOnTime)
        json.key("response_rate"); json.value(responseRate)
        json.key("satisfaction"); json.nullable(satisfaction.value) { $0.double($1) }
        json.key("threats_confirmed"); json.int(threatsConfirmed)
        json.key("unfair_terms_confirmed"); json.int(unfairTermsConfirmed)
        json.key("withdrawn"); json.int(withdrawn)
        json.endObject()
    }
}
