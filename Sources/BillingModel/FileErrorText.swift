import Foundation

/// Foundation's file errors said in French, with what to do. Its own texts are English
/// (`The file doesn’t exist.`) or bare codes (`NSCocoaErrorDomain error 512`), and staff read these.
public enum FileErrorText {
    /// One French clause for a failed read or write of `path`, e.g. « fichier introuvable : x.csv ».
    public static func describe(_ error: Error, path: String, writing: Bool = false) -> String {
        let nsError = error as NSError
        let posix = posixCode(nsError)
        switch (nsError.domain, nsError.code, posix) {
        case (_, _, ENOENT?), (NSCocoaErrorDomain, NSFileNoSuchFileError, _), (NSCocoaErrorDomain, NSFileReadNoSuchFileError, _):
            return writing
                ? "impossible d'écrire \(path) : le dossier n'existe pas ; créez-le ou choisissez un autre chemin"
                : "fichier introuvable : \(path) ; vérifiez le chemin"
        case (_, _, EACCES?), (_, _, EPERM?), (NSCocoaErrorDomain, NSFileReadNoPermissionError, _),
             (NSCocoaErrorDomain, NSFileWriteNoPermissionError, _):
            return writing
                ? "impossible d'écrire \(path) : droits d'écriture refusés ; choisissez un dossier où vous pouvez écrire"
                : "impossible de lire \(path) : droits de lecture refusés"
        case (_, _, EISDIR?):
            return writing
                ? "impossible d'écrire \(path) : c'est un dossier ; indiquez un nom de fichier"
                : "\(path) est un dossier, pas un fichier"
        case (_, _, ENOSPC?), (NSCocoaErrorDomain, NSFileWriteOutOfSpaceError, _):
            return "impossible d'écrire \(path) : disque plein"
        case (_, _, EROFS?), (NSCocoaErrorDomain, NSFileWriteVolumeReadOnlyError, _):
            return "impossible d'écrire \(path) : disque en lecture seule"
        case (_, _, ENOTDIR?):
            return writing
                ? "impossible d'écrire \(path) : une partie du chemin est un fichier, pas un dossier"
                : "fichier introuvable : \(path) ; une partie du chemin est un fichier, pas un dossier"
        default:
            // Foundation's generic codes (512 and the like) say nothing useful: name the operation instead.
            return writing ? "impossible d'écrire \(path) : vérifiez le dossier et les droits d'écriture"
                : "impossible de lire \(path) : vérifiez le chemin et les droits de lecture"
        }
    }

    /// The POSIX errno behind a Foundation error, when it carries one.
    static func posixCode(_ error: NSError) -> Int32? {
        if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError { return posixCode(underlying) }
        return nil
    }
}
