import Foundation
import Hummingbird
import HummingbirdBcrypt
import Crypto
public enum APIP { public static func url() -> URL? { Bundle.module.url(forResource: "openapi", withExtension: "yaml") } }
