import Foundation
import RedressCore
import Testing

@Suite("Policy")
struct PolicyTests {
    let platformA = UUID(), platformB = UUID(), merchantOfA = UUID(), bodyA = UUID(), bodyB = UUID()

    func actor(_ role: Role, _ organization: UUID? = nil) -> Principal {
        .account(Actor(accountID: UUID(), role: role, organizationID: organization, platformID: nil))
    }

    var platformARef: OrganizationRef { OrganizationRef(id: platformA, kind: .platform, platformID: platformA) }
    var merchantARef: OrganizationRef { OrganizationRef(id: merchantOfA, kind: .merchant, platformID: platformA) }
    var bodyARef: OrganizationRef { OrganizationRef(id: bodyA, kind: .mediationBody, platformID: nil) }

    @Test func anonymousMayOnlyReadTheDirectoryAndSignIn() {
        for operation in [Operation.register, .login, .listPlatforms, .readPlatform, .listMerchants, .listMediationBodies] {
            #expect(Policy.isAllowed(.anonymous, operation))
        }
        for operation in [Operation.logout, .readOwnAccount, .createPlatform, .createMediationBody, .listStaff, .manageStaff,
                          .updatePlatform(platformID: platformA), .createMerchant(platformID: platformA)] {
            #expect(!Policy.isAllowed(.anonymous, operation))
            #expect(throws: RedressError.unauthenticated) { try Policy.authorize(.anonymous, operation) }
        }
    }

    @Test func onlyAdminsCreatePlatformsAndBodies() {
        for role in Role.allCases {
            #expect(Policy.isAllowed(actor(role), .createPlatform) == (role == .admin))
            #expect(Policy.isAllowed(actor(role), .createMediationBody) == (role == .admin))
        }
        #expect(throws: RedressError.forbidden) { try Policy.authorize(actor(.consumer), .createPlatform) }
    }

    @Test func aPlatformAdministratorManagesOnlyItsOwnPlatform() {
        let adminA = actor(.platformAdmin, platformA)
        #expect(Policy.isAllowed(adminA, .updatePlatform(platformID: platformA)))
        #expect(!Policy.isAllowed(adminA, .updatePlatform(platformID: platformB)))
        #expect(Policy.isAllowed(adminA, .createMerchant(platformID: platformA)))
        #expect(!Policy.isAllowed(adminA, .createMerchant(platformID: platformB)))
        #expect(!Policy.isAllowed(actor(.platformStaff, platformA), .updatePlatform(platformID: platformA)))
    }

    @Test func staffCreationFollowsTheOrganisationTree() {
        let adminA = actor(.platformAdmin, platformA)
        #expect(Policy.isAllowed(adminA, .createStaff(role: .platformStaff, organization: platformARef)))
        #expect(Policy.isAllowed(adminA, .createStaff(role: .merchantStaff, organization: merchantARef)))
        #expect(!Policy.isAllowed(adminA, .createStaff(role: .merchantStaff, organization: OrganizationRef(id: UUID(), kind: .merchant, platformID: platformB))))
        #expect(!Policy.isAllowed(adminA, .createStaff(role: .mediator, organization: bodyARef)))
        #expect(!Policy.isAllowed(adminA, .createStaff(role: .auditor, organization: nil)))
        // Kind and role must agree, even for an admin.
        #expect(!Policy.isAllowed(actor(.admin), .createStaff(role: .mediator, organization: platformARef)))
        #expect(Policy.isAllowed(actor(.admin), .createStaff(role: .auditor, organization: nil)))
        #expect(!Policy.isAllowed(actor(.admin), .createStaff(role: .consumer, organization: nil)))

        let leadA = actor(.mediationLead, bodyA)
        #expect(Policy.isAllowed(leadA, .createStaff(role: .mediator, organization: bodyARef)))
        #expect(!Policy.isAllowed(leadA, .createStaff(role: .mediationLead, organization: bodyARef)))
        #expect(!Policy.isAllowed(leadA, .createStaff(role: .mediator, organization: OrganizationRef(id: bodyB, kind: .mediationBody, platformID: nil))))
        #expect(!Policy.isAllowed(actor(.mediator, bodyA), .createStaff(role: .mediator, organization: bodyARef)))
    }
}
