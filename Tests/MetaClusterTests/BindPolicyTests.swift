import Foundation
import Testing
import MetaCluster
import MetaTransport

/// Plain TCP is served only where nobody else can reach it, unless the operator says otherwise.
@Suite struct BindPolicyTests {
    @Test func plainTCPOnANonLoopbackAddressIsRefusedUnlessInsecure() throws {
        for endpoint in ["tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.5:5555", "tcp://eth0:5555", "tcp://localhost.example:1"] {
            let why = CoordinatorSecurity.plain.refusal(toBind: endpoint, insecure: false)
            #expect(why?.contains("--insecure") == true, "\(endpoint)")
            #expect(why?.contains("--curve-secret") == true, "\(endpoint)")
            #expect(CoordinatorSecurity.plain.refusal(toBind: endpoint, insecure: true) == nil, "\(endpoint)")
        }
    }

    @Test func loopbackAndLocalSocketsNeedNoFlag() {
        for endpoint in ["tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://localhost:5555", "tcp://[::1]:5555",
                         "ipc:///tmp/metatrain-x/coordinator", "inproc://x"] {
            #expect(CoordinatorSecurity.plain.refusal(toBind: endpoint, insecure: false) == nil, "\(endpoint)")
        }
    }

    @Test func curveMayBindAnywhere() throws {
        let keys = try CurveKeyPair.generate()
        #expect(CoordinatorSecurity.curve(server: keys, allowedWorkers: []).refusal(toBind: "tcp://0.0.0.0:5555", insecure: false) == nil)
    }

    @Test func aPrivateEndpointIsAnIpcSocketInADirectoryOnlyItsOwnerCanOpen() throws {
        let p = try PrivateEndpoint()
        #expect(p.endpoint.hasPrefix("ipc://"))
        var info = stat()
        #expect(stat(p.directory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        p.remove()
        #expect(stat(p.directory, &info) != 0)
    }
}
