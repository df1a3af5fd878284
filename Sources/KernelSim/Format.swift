// Number formatting as the kernel's printf formats it.

/// Lowercase hexadecimal without prefix, as `%x` prints.
func hex<T: BinaryInteger>(_ v: T) -> String { String(v, radix: 16) }

/// Left-pads with zeros to `width` (`%0<width>x`).
func pad(_ s: String, _ width: Int) -> String { String(repeating: "0", count: max(0, width - s.count)) + s }
