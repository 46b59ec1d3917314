import Foundation
import Tooling

/// A throwaway certificate authority and a certificate for 127.0.0.1 signed by it, made by openssl in
/// `directory`, for the tests of HTTPS: `ca.pem` and `ca.key`, `server.pem` and `server.key`. P-256
/// keys: handshakes stay cheap, even under the sanitizers. Throws with openssl's words on failure.
public func makeLoopbackCertificates(in directory: String, authority: String = "Accueil test CA") throws {
    let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    try "subjectAltName=IP:127.0.0.1\n".write(toFile: "\(directory)/ext", atomically: true, encoding: .utf8)
    for arguments in [
        ["req", "-x509"] + curve + [
            "-keyout", "\(directory)/ca.key", "-out", "\(directory)/ca.pem", "-days", "2", "-subj", "/CN=\(authority)",
        ],
        ["req"] + curve + [
            "-keyout", "\(directory)/server.key", "-out", "\(directory)/server.csr", "-subj", "/CN=127.0.0.1",
        ],
        [
            "x509", "-req", "-in", "\(directory)/server.csr", "-CA", "\(directory)/ca.pem", "-CAkey",
            "\(directory)/ca.key", "-CAcreateserial", "-out", "\(directory)/server.pem", "-days", "2", "-extfile",
            "\(directory)/ext",
        ],
    ] {
        let made = try tool("openssl", arguments)
        guard made.status == 0 else {
            throw CertificateFailure(
                description: "openssl \(arguments.prefix(2).joined(separator: " ")): \(made.stderr)")
        }
    }
}

public struct CertificateFailure: Error, CustomStringConvertible {
    public var description: String
}
