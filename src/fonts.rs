//! The fonts every output is set in: Inter, embedded in the binary, so that
//! charts (plotters measures with them) and reports (typst draws with them)
//! never consult a system font.

/// The family name every chart and report uses.
pub const FAMILY: &str = "Inter";
/// Inter Regular.
pub const REGULAR: &[u8] = include_bytes!("../assets/fonts/Inter-Regular.otf");
/// Inter Italic.
pub const ITALIC: &[u8] = include_bytes!("../assets/fonts/Inter-Italic.otf");
/// Inter SemiBold.
pub const SEMIBOLD: &[u8] = include_bytes!("../assets/fonts/Inter-SemiBold.otf");
/// Inter Bold.
pub const BOLD: &[u8] = include_bytes!("../assets/fonts/Inter-Bold.otf");

/// Every face with its file name (for a folder the typst command line reads).
pub const FILES: [(&str, &[u8]); 4] = [
    ("Inter-Regular.otf", REGULAR),
    ("Inter-Italic.otf", ITALIC),
    ("Inter-SemiBold.otf", SEMIBOLD),
    ("Inter-Bold.otf", BOLD),
];
