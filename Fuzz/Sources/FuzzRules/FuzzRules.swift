import AuditRules
import Foundation
import FuzzSupport

/// The rule loader on any bytes: the shipped rule set is copied once to a scratch folder, and each
/// input replaces one of its files (chosen by the first byte). Loading must succeed or throw
/// `RuleLoadError` with a message; anything else (a crash, another error) fails.
private let ruleFolder: URL = {
    let folder = Fuzz.scratchFolderURL().appendingPathComponent("Rules")
    try? FileManager.default.removeItem(at: folder)
    try! FileManager.default.copyItem(at: Fuzz.repositoryRoot.appendingPathComponent("Rules"), to: folder)
    return folder
}()

private let ruleFiles: [(path: String, original: Data)] = {
    let enumerator = FileManager.default.enumerator(at: ruleFolder, includingPropertiesForKeys: nil)!
    var files: [(String, Data)] = []
    for case let url as URL in enumerator where url.pathExtension == "yaml" {
        files.append((url.path, try! Data(contentsOf: url)))
    }
    return files.sorted { $0.0 < $1.0 }
}()

@_cdecl("FuzzRules_main")
public func fuzzRulesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv) { data, size in fuzzRules(data!, size) }
}

func fuzzRules(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let target = ruleFiles[Int(data[0]) % ruleFiles.count]
    try! Data(bytes: data + 1, count: size - 1).write(to: URL(fileURLWithPath: target.path))
    defer { try! target.original.write(to: URL(fileURLWithPath: target.path)) }
    do {
        _ = try RuleSetLoader.load(directory: ruleFolder)
    } catch let error as RuleLoadError {
        if error.description.isEmpty { Fuzz.fail("empty rule error") }
    } catch {
        Fuzz.fail("the loader threw something else than RuleLoadError: \(error)")
    }
    return 0
}
