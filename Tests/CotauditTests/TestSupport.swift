import Foundation

/// The built `cotaudit` binary, or another program, run as a child process in the checkout with
/// the tests' pseudonym key: the one place these tests start a program and capture what it says.
enum ChildProcess {
    struct Run {
        var status: Int32
        /// Ended by a signal rather than by exiting.
        var signalled: Bool
        var stdout: String
        var stderr: String
    }

    /// Where the tests run commands: the checkout, so `SampleBatches/…` and `Rules/` resolve.
    static let root = SampleBatchesTests.root

    /// `swift test` builds the executable beside the test bundle.
    static var cotaudit: URL {
        // On Linux the bundle URL is the products folder itself; elsewhere the bundle sits in it.
        let bundle = Bundle(for: CommandLineTests.self).bundleURL
        let beside = bundle.appendingPathComponent("cotaudit")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return bundle.deletingLastPathComponent().appendingPathComponent("cotaudit")
    }

    /// Set up but not started, for a test that starts, kills or reads it itself. `environment`
    /// changes the inherited environment: a nil value removes the variable.
    static func process(_ arguments: [String], executable: URL = cotaudit, in directory: URL = root,
                        environment changes: [String: String?] = [:]) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["COTAUDIT_PSEUDONYM_KEY"] = "cotaudit-ci-key-not-secret"
        for (name, value) in changes { environment[name] = value }
        process.environment = environment
        return process
    }

    /// Runs to its end; standard output and standard error captured apart.
    static func run(_ arguments: [String], executable: URL = cotaudit, in directory: URL = root,
                    environment changes: [String: String?] = [:]) throws -> Run {
        let child = process(arguments, executable: executable, in: directory, environment: changes)
        let out = Pipe()
        let err = Pipe()
        child.standardOutput = out
        child.standardError = err
        try child.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        return Run(status: child.terminationStatus, signalled: child.terminationReason == .uncaughtSignal,
                   stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A program found on the PATH (`python3`, `xmllint`, `timeout`…), through /usr/bin/env.
    static func run(_ arguments: [String], onPath program: String) throws -> Run {
        try run([program] + arguments, executable: URL(fileURLWithPath: "/usr/bin/env"))
    }
}

/// `run([...])` in a test class, as a user types the command.
protocol RunsCotaudit {}

extension RunsCotaudit {
    func run(_ arguments: [String], executable: URL = ChildProcess.cotaudit, in directory: URL = ChildProcess.root,
             environment changes: [String: String?] = [:]) throws -> ChildProcess.Run {
        try ChildProcess.run(arguments, executable: executable, in: directory, environment: changes)
    }
}
