import Foundation
import Testing
import Tooling

/// `scripts/install` on a machine where systemd does not run (a container, a chroot): the users,
/// their data directories and the configuration must be made all the same, or the install must
/// fail saying why (issue 13, item 9). It runs for real, as root, in a private mount namespace
/// whose /etc, /usr/local, /usr/lib and /var/lib are overlays: what it writes there is thrown away
/// with the namespace, and the machine (and the tests running beside it) never see it.
@Suite("Installing without systemd running (private mount namespace)")
struct InstallWithoutSystemdTests {
    /// Runs `script` in a new mount namespace over throwaway overlays; returns its output.
    func isolated(_ script: String) throws -> Outcome {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("accueil-ns-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var mounts = ""
        for (i, directory) in ["/etc", "/usr/local", "/usr/lib", "/var/lib", "/usr/bin"].enumerated() {
            let upper = scratch.appendingPathComponent("u\(i)").path
            let work = scratch.appendingPathComponent("w\(i)").path
            mounts +=
                "mkdir -p \(upper) \(work) && mount -t overlay overlay -o lowerdir=\(directory),upperdir=\(upper),workdir=\(work) \(directory)\n"
        }
        return try runProgram(
            "/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/bash", "-ec", mounts + script],
            timeout: .seconds(180))
    }

    @Test(
        "with systemd-sysusers, and with only useradd: users, data directories and configuration made; uninstall leaves no dangling link",
        arguments: ["sysusers", "useradd"])
    func install(_ tool: String) throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            Issue.record("this test needs root and unshare(1): the test command runs as root")
            return
        }
        let result = try isolated(
            """
            \(tool == "useradd" ? "rm -f /usr/bin/systemd-sysusers /bin/systemd-sysusers" : "")
            userdel accueil 2> /dev/null || true
            userdel accueil-screen 2> /dev/null || true
            rm -rf /var/lib/accueil /var/lib/accueil-screen /etc/accueil
            cd \(sourceRoot.path)
            scripts/install --binary \(accueilBinary.path)
            echo "--- checks"
            id accueil
            id accueil-screen
            stat -c '%U:%G %a %n' /var/lib/accueil /var/lib/accueil-screen /etc/accueil/kiosk.yaml
            # A station runs as its user, on the installed configuration.
            scratch=$(mktemp -d)
            chmod 0777 "$scratch"
            runuser -u accueil -- /usr/local/bin/accueil roster generate --count 5 -o "$scratch/roster.csv"
            ACCUEIL_CONFIG=/etc/accueil/kiosk.yaml runuser -u accueil -- /usr/local/bin/accueil roster import "$scratch/roster.csv"
            rm -rf "$scratch"
            mkdir -p /etc/systemd/system/multi-user.target.wants
            ln -sf /etc/systemd/system/accueil-kiosk.service /etc/systemd/system/multi-user.target.wants/accueil-kiosk.service
            scripts/uninstall
            echo "--- after uninstall"
            find /etc/systemd/system -xtype l -name 'accueil*'
            ls /usr/local/bin/accueil 2>&1 || true
            """)
        #expect(result.status == 0, "\(result.output)")
        let checks = result.stdout.components(separatedBy: "--- checks").last ?? ""
        #expect(result.stdout.contains("systemd is not running on this machine"), "\(result.output)")
        #expect(checks.contains("uid=") && checks.contains("(accueil-screen)"), "\(checks)")
        #expect(checks.contains("accueil:accueil 750 /var/lib/accueil\n"), "\(checks)")
        #expect(checks.contains("accueil-screen:accueil-screen 750 /var/lib/accueil-screen"), "\(checks)")
        #expect(checks.contains("root:accueil 640 /etc/accueil/kiosk.yaml"), "\(checks)")
        #expect(checks.contains("Imported 5: 5 added"), "\(checks)")
        let after = result.stdout.components(separatedBy: "--- after uninstall").last ?? ""
        #expect(!after.contains("accueil-kiosk.service") && after.contains("No such file"), "\(after)")
        // Nothing reached the machine itself.
        #expect(!FileManager.default.fileExists(atPath: "/var/lib/accueil-screen"))
    }
}
