import Foundation

/// An error the API shows to its client. Each has a stable machine `code`, an HTTP status and a
/// human title in Simplified Chinese (the default) and English. Rendered in one place as
/// `application/problem+json` (RFC 9457).
public struct RedressError: Error, Sendable, Equatable {
    public enum Code: String, Sendable, CaseIterable {
        case malformedRequest = "malformed_request"
        case unauthenticated
        case invalidCredentials = "invalid_credentials"
        case secondFactorRequired = "second_factor_required"
        case invalidSecondFactor = "invalid_second_factor"
        case secondFactorEnrolmentRequired = "second_factor_enrolment_required"
        case forbidden
        case accountDisabled = "account_disabled"
        case passwordChangeRequired = "password_change_required"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case conflict
        case invalidTransition = "invalid_transition"
        case platformFirst = "platform_first"
        case idempotencyKeyReused = "idempotency_key_reused"
        case emailTaken = "email_taken"
        case preconditionFailed = "precondition_failed"
        case requestTimeout = "request_timeout"
        case payloadTooLarge = "payload_too_large"
        case unsupportedMediaType = "unsupported_media_type"
        case validationFailed = "validation_failed"
        case tooManyAttempts = "too_many_attempts"
        case internalError = "internal_error"
        case unavailable
    }

    /// One invalid field of a request body, with a machine reason such as `required` or `too_short`.
    public struct InvalidField: Sendable, Equatable, Codable {
        public let field: String
        public let reason: String
        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }
    }

    public let code: Code
    /// A sentence about this occurrence, in English, safe to show (never internal details).
    public let detail: String?
    public let invalidFields: [InvalidField]
    /// For `tooManyAttempts`: seconds until another attempt may succeed.
    public let retryAfterSeconds: Int?
    /// For `invalidTransition`: what the caller may do instead.
    public let allowedActions: [String]?

    public init(
        _ code: Code, detail: String? = nil, invalidFields: [InvalidField] = [], retryAfterSeconds: Int? = nil, allowedActions: [String]? = nil
    ) {
        self.code = code
        self.detail = detail
        self.invalidFields = invalidFields
        self.retryAfterSeconds = retryAfterSeconds
        self.allowedActions = allowedActions
    }

    public var status: Int {
        switch code {
        case .malformedRequest: 400
        case .unauthenticated, .invalidCredentials, .secondFactorRequired, .invalidSecondFactor: 401
        case .forbidden, .accountDisabled, .passwordChangeRequired, .secondFactorEnrolmentRequired: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict, .emailTaken, .invalidTransition, .platformFirst: 409
        case .requestTimeout: 408
        case .preconditionFailed: 412
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .validationFailed, .idempotencyKeyReused: 422
        case .tooManyAttempts: 429
        case .internalError: 500
        case .unavailable: 503
        }
    }

    public static func validation(_ fields: [InvalidField]) -> RedressError {
        RedressError(.validationFailed, invalidFields: fields)
    }

    public static let notFound = RedressError(.notFound)
    public static let forbidden = RedressError(.forbidden)
    public static let unauthenticated = RedressError(.unauthenticated)
}

/// The languages user-facing texts are available in.
public enum Language: String, Sendable {
    case zhCN = "zh-CN"
    case en

    /// Picks a language from an `Accept-Language` header: English when it is preferred over
    /// Chinese, Simplified Chinese otherwise (the product's default).
    public static func negotiate(acceptLanguage: String?) -> Language {
        guard let header = acceptLanguage?.lowercased() else { return .zhCN }
        var best: (language: Language, quality: Double)? = nil
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first else { continue }
            var quality = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            let language: Language? = tag.hasPrefix("en") ? .en : tag.hasPrefix("zh") ? .zhCN : nil
            if let language, quality > (best?.quality ?? 0) { best = (language, quality) }
        }
        return best?.language ?? .zhCN
    }
}

extension RedressError.Code {
    /// The human title of the error in the given language.
    public func title(in language: Language) -> String {
        switch (self, language) {
        case (.malformedRequest, .zhCN): "请求格式错误"
        case (.malformedRequest, .en): "The request is malformed"
        case (.unauthenticated, .zhCN): "需要登录"
        case (.unauthenticated, .en): "Authentication is required"
        case (.invalidCredentials, .zhCN): "邮箱或密码不正确"
        case (.invalidCredentials, .en): "The e-mail or password is incorrect"
        case (.secondFactorRequired, .zhCN): "请输入动态验证码"
        case (.secondFactorRequired, .en): "A one-time code from your authenticator is required"
        case (.invalidSecondFactor, .zhCN): "动态验证码不正确或已使用"
        case (.invalidSecondFactor, .en): "The one-time code is wrong or was already used"
        case (.secondFactorEnrolmentRequired, .zhCN): "请先启用两步验证"
        case (.secondFactorEnrolmentRequired, .en): "Set up two-factor sign-in first"
        case (.forbidden, .zhCN): "无权执行此操作"
        case (.forbidden, .en): "You may not do this"
        case (.accountDisabled, .zhCN): "该账户已被停用"
        case (.accountDisabled, .en): "This account is disabled"
        case (.passwordChangeRequired, .zhCN): "请先设置新密码"
        case (.passwordChangeRequired, .en): "A new password must be chosen first"
        case (.notFound, .zhCN): "未找到"
        case (.notFound, .en): "Not found"
        case (.methodNotAllowed, .zhCN): "不支持该请求方法"
        case (.methodNotAllowed, .en): "This method is not allowed here"
        case (.conflict, .zhCN): "与当前状态冲突"
        case (.conflict, .en): "This conflicts with the current state"
        case (.invalidTransition, .zhCN): "当前状态下不能执行此操作"
        case (.invalidTransition, .en): "This action is not possible in the complaint's current state"
        case (.platformFirst, .zhCN): "请先给平台处理的机会：平台答复期限届满或您拒绝平台答复后，才能申请调解"
        case (.platformFirst, .en): "The platform must have its chance first: mediation is possible once its deadline passed or you rejected its answer"
        case (.idempotencyKeyReused, .zhCN): "该幂等键已用于另一份请求"
        case (.idempotencyKeyReused, .en): "This Idempotency-Key was used for a different request"
        case (.emailTaken, .zhCN): "该邮箱已被注册"
        case (.emailTaken, .en): "This e-mail address is already registered"
        case (.preconditionFailed, .zhCN): "数据已被修改，请刷新后重试"
        case (.preconditionFailed, .en): "The resource has changed; reload and try again"
        case (.requestTimeout, .zhCN): "请求内容未能及时送达"
        case (.requestTimeout, .en): "The request body did not arrive in time"
        case (.payloadTooLarge, .zhCN): "请求内容过大"
        case (.payloadTooLarge, .en): "The request body is too large"
        case (.unsupportedMediaType, .zhCN): "不支持的内容类型"
        case (.unsupportedMediaType, .en): "The content type is not supported"
        case (.validationFailed, .zhCN): "提交的内容不符合要求"
        case (.validationFailed, .en): "Some fields are invalid"
        case (.tooManyAttempts, .zhCN): "尝试次数过多，请稍后再试"
        case (.tooManyAttempts, .en): "Too many attempts; try again later"
        case (.internalError, .zhCN): "服务器内部错误"
        case (.internalError, .en): "An internal error occurred"
        case (.unavailable, .zhCN): "服务暂不可用"
        case (.unavailable, .en): "The service is unavailable"
        }
    }
}
