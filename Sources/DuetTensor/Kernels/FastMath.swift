// Vectorisable exp, tanh, erf and sigmoid: branch-free polynomial and rational forms that LLVM
// turns into SIMD loops. libm's expf/tanhf/erff are one call per element, 5-20x slower here
// (see bench NOTES.md); these stay within a few ulp of them.

/// e^x. Cephes' degree-6 polynomial on the reduced argument; 0 below -87.3, finite up to 88.3.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    let lo: Float = -87.33654, hi: Float = 88.37626
    let xc = x < lo ? lo : (x > hi ? hi : x)
    // Round x·log2(e) to an integer through the float's bits (no trapping Float→Int conversion).
    let t = xc * 1.44269504088896341 + 12582912.0
    let n = t - 12582912.0
    let ni = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
    var r = xc - n * 0.693359375
    r = r + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * r * r + r + 1
    let scale = Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
    return x < lo ? 0 : p * scale
}

/// tanh(x), Eigen's rational approximation (odd degree 13 over even degree 6).
@inline(__always)
public func fastTanh(_ x: Float) -> Float {
    let bound: Float = 7.90531110763549805
    let xc = x < -bound ? -bound : (x > bound ? bound : x)
    let x2 = xc * xc
    var p: Float = -2.76076847742355e-16
    p = p * x2 + 2.00018790482477e-13
    p = p * x2 + -8.60467152213735e-11
    p = p * x2 + 5.12229709037114e-08
    p = p * x2 + 1.48572235717979e-05
    p = p * x2 + 6.37261928875436e-04
    p = p * x2 + 4.89352455891786e-03
    p = p * xc
    var q: Float = 1.19825839466702e-06
    q = q * x2 + 1.18534705686654e-04
    q = q * x2 + 2.26843463243900e-03
    q = q * x2 + 4.89352518554385e-03
    return p / q
}

/// erf(x), Eigen's rational approximation on [-4, 4] (erf is ±1 in float beyond).
@inline(__always)
public func fastErf(_ x: Float) -> Float {
    let xc = x < -4 ? -4 : (x > 4 ? 4 : x)
    let x2 = xc * xc
    var p: Float = -2.72614225801306e-10
    p = p * x2 + 2.77068142495902e-08
    p = p * x2 + -2.10102402082508e-06
    p = p * x2 + -5.69250639462346e-05
    p = p * x2 + -7.34990630326855e-04
    p = p * x2 + -2.95459980854025e-03
    p = p * x2 + -1.60960333262415e-02
    p = p * xc
    var q: Float = -1.45660718464996e-05
    q = q * x2 + -2.13374055278905e-04
    q = q * x2 + -1.68282697438203e-03
    q = q * x2 + -7.37332916720468e-03
    q = q * x2 + -1.42647390514189e-02
    return p / q
}

/// 1 / (1 + e^-x).
@inline(__always)
public func fastSigmoid(_ x: Float) -> Float {
    1 / (1 + fastExp(-x))
}

/// GELU, exact form: x·Φ(x).
@inline(__always)
func geluErf(_ x: Float) -> Float {
    0.5 * x * (1 + fastErf(x * 0.70710678118654752))
}

/// d GELU(x)/dx, exact form: Φ(x) + x·φ(x).
@inline(__always)
func geluErfDerivative(_ x: Float) -> Float {
    let cdf = 0.5 * (1 + fastErf(x * 0.70710678118654752))
    let pdf = 0.39894228040143268 * fastExp(-0.5 * x * x)
    return cdf + x * pdf
}

/// GELU, tanh approximation.
@inline(__always)
func geluTanh(_ x: Float) -> Float {
    let inner = 0.79788456080286536 * (x + 0.044715 * x * x * x)
    return 0.5 * x * (1 + fastTanh(inner))
}

/// d GELU_tanh(x)/dx.
@inline(__always)
func geluTanhDerivative(_ x: Float) -> Float {
    let inner = 0.79788456080286536 * (x + 0.044715 * x * x * x)
    let t = fastTanh(inner)
    let dInner = 0.79788456080286536 * (1 + 3 * 0.044715 * x * x)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner
}
