import Foundation
import MetaRuntime

extension Worker.Outcome {
    /// The process exit status for how a worker's session ended, for `restart: on-failure`,
    /// Kubernetes and scripts:
    ///
    /// | status | meaning |
    /// |---|---|
    /// | 0 | the coordinator said training finished |
    /// | 3 | rejected (by the coordinator, or this worker refused the coordinator: another protocol version, an unusable assignment) |
    /// | 4 | the job cannot be built here (missing data set, data of another content digest, invalid configuration) |
    /// | 5 | gave up: no coordinator answered for ``Worker/Options/giveUpAfter`` seconds |
    /// | 6 | the coordinator shut down before training finished (it was stopped, or failed) |
    /// | 130 / 143 | stopped by SIGINT / SIGTERM |
    ///
    /// (Status 1, bad arguments or key files, is the command line's.)
    /// - Parameter signal: the signal that stopped the worker (``StopSignal/receivedSignal``);
    ///   only read for ``stopped``, where anything but SIGTERM counts as SIGINT.
    public func exitStatus(signal: Int32?) -> Int32 {
        switch self {
        case .session(.finished): 0
        case .session(.rejected): 3
        case .session(.jobFailed): 4
        case .gaveUp: 5
        case .session(.coordinatorStopped): 6
        case .stopped: signal == SIGTERM ? 143 : 130
        }
    }
}
