/// Passwords too common to allow, compared case-insensitively (those shorter than 8 characters are
/// refused by length anyway).
///
/// - `Resources/common-passwords.txt`: the 10,000 most common passwords, verbatim from SecLists'
///   `Passwords/Common-Credentials/10k-most-common.txt` (Daniel Miessler et al., MIT licence,
///   github.com/danielmiessler/SecLists), itself Mark Burnett's list, with LF line ends.
/// - `Resources/common-passwords-added.txt`: about 60 that list lacks, kept by this project since
///   its first release: patterns at the top of Chinese breach lists (`woaini1314`, `5201314520`,
///   `qweasdzxc`, years and surnames with digits) and suffixed variants (`password123`, `p@ssw0rd`).
enum CommonPasswords {
    static let set: Set<String> = {
        let lists = [PackageResources.common_passwords_txt, PackageResources.common_passwords_added_txt]
        return Set(lists.flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n").map { $0.lowercased() } })
    }()
}
