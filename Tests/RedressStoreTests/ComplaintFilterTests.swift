import Foundation
import RedressCore
import Testing

@testable import RedressStore

/// Which lists rule out sorting: only those an index gives in page order, so that ruling it out can
/// never turn a list into a walk through cases the filter then drops.
@Suite("Lists read in index order")
struct ComplaintFilterTests {
    @Test func onlyAScopeOrAPlatformsOrMerchantsSingleStateIsReadInIndexOrder() {
        let id = UUID()
        func filter(_ scope: ComplaintFilter.Scope, states: [ComplaintState]? = nil, _ change: (inout ComplaintFilter) -> Void = { _ in }) -> ComplaintFilter {
            var filter = ComplaintFilter()
            filter.scope = scope
            filter.states = states
            change(&filter)
            return filter
        }
        // A scope alone, with or without dates: its index by submission time.
        for scope: ComplaintFilter.Scope in [.consumer(id), .platform(id), .merchant(id), .mediationBody(id), .everything] {
            #expect(filter(scope).hasOrderedIndex)
            #expect(filter(scope) { $0.submittedFrom = Date() }.hasOrderedIndex)
        }
        // One state of a platform or a merchant: its index by state and submission time.
        #expect(filter(.platform(id), states: [.awaitingPlatform]).hasOrderedIndex)
        #expect(filter(.merchant(id), states: [.awaitingMerchant]).hasOrderedIndex)
        // No such index: the planner chooses.
        #expect(!filter(.mediationBody(id), states: [.escalated]).hasOrderedIndex)
        #expect(!filter(.consumer(id), states: [.awaitingPlatform]).hasOrderedIndex)
        #expect(!filter(.platform(id), states: [.awaitingPlatform, .proposalMade]).hasOrderedIndex)
        #expect(!filter(.platform(id)) { $0.category = .nonDelivery }.hasOrderedIndex)
        #expect(!filter(.platform(id)) { $0.overdue = true }.hasOrderedIndex)
        #expect(!filter(.platform(id)) { $0.titleContains = "卡密" }.hasOrderedIndex)
        #expect(!filter(.everything) { $0.platformID = id }.hasOrderedIndex)
        #expect(!filter(.mediationBody(id)) { $0.merchantID = id }.hasOrderedIndex)
    }
}
