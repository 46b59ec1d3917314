import Foundation
@_exported import Tooling

/// The QR codes zbarimg reads on the first page of a PDF, rasterised by pdftoppm at `dpi`.
public func qrCodes(inPDF path: String, dpi: Int = 300) throws -> [String] {
    let prefix = path + "-raster\(dpi)"
    let raster = try tool("pdftoppm", ["-r", String(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", path, prefix])
    guard raster.status == 0 else { return [] }
    let zbar = try tool("zbarimg", ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", prefix + ".png"])
    return zbar.stdout.split(separator: "\n").map(String.init)
}
