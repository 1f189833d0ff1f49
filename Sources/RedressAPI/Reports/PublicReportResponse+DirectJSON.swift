import Foundation

// The public report writes its own JSON (`DirectJSON`): 100 platforms × 14 sets of 29 figures, which
// through Codable and the tree writer were three quarters of building the report. Members go in the
// order of their keys' bytes; every figure's key is present, `null` when withheld.

extension PublicReportResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.key("final"); json.bool(final)
        json.key("from"); json.string(from)
        json.key("generated_at"); json.date(generatedAt)
        json.key("minimum_complaints"); json.int(minimumComplaints)
        json.key("minimum_ratings"); json.int(minimumRatings)
        json.key("period"); json.string(period)
        json.member("platforms", platforms)
        json.key("ranked_by"); json.string(rankedBy)
        json.key("ranking_keys"); json.array(rankingKeys) { $0.string($1) }
        json.member("standard_deadlines", standardDeadlines)
        json.key("time_zone"); json.string(timeZone)
        json.key("to"); json.string(to)
        json.member("trend", trend)
        json.endObject()
    }
}

extension PublicReportResponse.Platform: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("figures", figures)
        json.member("platform", platform)
        json.member("promise", promise)
        json.key("rank"); json.nullable(rank.value) { $0.int($1) }
        json.key("score"); json.nullable(score.value) { $0.double($1) }
        json.member("trend", trend)
        json.endObject()
    }
}

extension PublicReportResponse.Month: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("figures", figures)
        json.key("final"); json.bool(final)
        json.key("in_progress"); json.bool(inProgress)
        json.key("month"); json.string(month)
        json.endObject()
    }
}

extension PublicReportResponse.Figures: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        func count(_ key: StaticString, _ value: Nullable<Int>, _ json: inout DirectJSONWriter) {
            json.key(key)
            json.nullable(value.value) { $0.int($1) }
        }
        func rate(_ key: StaticString, _ value: Nullable<RateResponse>, _ json: inout DirectJSONWriter) {
            json.key(key)
            json.nullable(value.value) { $0.value($1) }
        }
        json.beginObject()
        count("amount_claimed", amountClaimed, &json)
        count("amount_refunded", amountRefunded, &json)
        count("awaiting_response", awaitingResponse, &json)
        count("closed_unresolved", closedUnresolved, &json)
        count("closed_with_explanation", closedWithExplanation, &json)
        count("collective", collective, &json)
        json.key("complaints"); json.int(complaints)
        count("counted", counted, &json)
        count("due", due, &json)
        count("escalated", escalated, &json)
        rate("escalation_rate", escalationRate, &json)
        count("invalid", invalid, &json)
        rate("on_time_rate", onTimeRate, &json)
        count("ratings", ratings, &json)
        count("repeat_complaints", repeatComplaints, &json)
        rate("repeat_rate", repeatRate, &json)
        rate("resolution_rate", resolutionRate, &json)
        count("resolved", resolved, &json)
        count("resolved_monetary", resolvedMonetary, &json)
        count("resolved_non_monetary", resolvedNonMonetary, &json)
        count("responded", responded, &json)
        count("responded_on_time", respondedOnTime, &json)
        rate("response_rate", responseRate, &json)
        json.key("satisfaction"); json.nullable(satisfaction.value) { $0.double($1) }
        count("threats_confirmed", threatsConfirmed, &json)
        count("unfair_terms_confirmed", unfairTermsConfirmed, &json)
        count("withdrawn", withdrawn, &json)
        json.key("withheld"); json.nullable(withheld.value) { $0.value($1) }
        json.key("withheld_complaints"); json.int(withheldComplaints)
        json.endObject()
    }
}

extension PublicReportResponse.Withheld: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.key("minimum_complaints"); json.int(minimumComplaints)
        json.key("reason"); json.string(reason)
        json.endObject()
    }
}

extension PublicReportResponse.Deadlines: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.key("fulfilment_days"); json.int(fulfilmentDays)
        json.key("merchant_response_days"); json.int(merchantResponseDays)
        json.key("response_days"); json.int(responseDays)
        json.endObject()
    }
}

extension PublicReportResponse.Promise: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.key("fulfilment_days"); json.int(fulfilmentDays)
        json.key("merchant_first"); json.bool(merchantFirst)
        json.key("merchant_response_days"); json.int(merchantResponseDays)
        json.key("response_days"); json.int(responseDays)
        json.endObject()
    }
}

extension RateResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.key("denominator"); json.int(denominator)
        json.key("numerator"); json.int(numerator)
        json.key("value"); json.nullable(value.value) { $0.double($1) }
        json.endObject()
    }
}

extension PlatformNameResponse: DirectJSON {
    func write(to json: inout DirectJSONWriter) {
        json.beginObject()
        json.member("id", id)
        json.key("name"); json.string(name)
        json.endObject()
    }
}
