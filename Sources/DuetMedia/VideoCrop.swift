// Spatial crops and flips of a VideoClip, the same for every frame: centre crop (evaluation),
// random crop and random horizontal flip (training), drawn from a MediaRandom.

/// A rectangle of a picture, in pixels from the top-left corner.
public struct CropRegion: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

extension VideoClip {
    /// The clip cut to `region` (which must lie inside the picture).
    public func cropped(to region: CropRegion) throws(MediaError) -> VideoClip {
        guard region.width > 0, region.height > 0, region.x >= 0, region.y >= 0,
              region.x + region.width <= width, region.y + region.height <= height else {
            throw .invalidArgument(name: "crop", reason: "\(region.width)×\(region.height) at (\(region.x), \(region.y)) does not fit in \(width)×\(height)")
        }
        var out = [Float](repeating: 0, count: frameCount * channels * region.width * region.height)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                var o = target.baseAddress!
                for plane in 0..<(frameCount * channels) {
                    var row = source.baseAddress! + plane * width * height + region.y * width + region.x
                    for _ in 0..<region.height {
                        o.update(from: row, count: region.width)
                        o += region.width
                        row += width
                    }
                }
            }
        }
        var clip = self
        clip.values = out
        clip.width = region.width
        clip.height = region.height
        return clip
    }

    /// The `width`×`height` centre (rounding the offset down, as torchvision's CenterCrop).
    public func centerCropped(width w: Int, height h: Int) throws(MediaError) -> VideoClip {
        try cropped(to: CropRegion(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h))
    }

    /// A `width`×`height` crop at a position drawn uniformly from `random`.
    public func randomlyCropped(width w: Int, height h: Int, random: MediaRandom) throws(MediaError) -> VideoClip {
        guard w <= width, h <= height else { return try cropped(to: CropRegion(x: 0, y: 0, width: w, height: h)) }
        return try cropped(to: CropRegion(x: random.integer(0, below: width - w + 1), y: random.integer(1, below: height - h + 1),
                                          width: w, height: h))
    }

    /// Every frame mirrored left to right.
    public func horizontallyFlipped() -> VideoClip {
        var clip = self
        clip.values.withUnsafeMutableBufferPointer { v in
            for row in 0..<(frameCount * channels * height) {
                let r = v.baseAddress! + row * width
                var (i, j) = (0, width - 1)
                while i < j { r.swapAt(i, j); i += 1; j -= 1 }
            }
        }
        return clip
    }

    /// Flipped with probability `probability` (drawn from `random`), else unchanged.
    public func randomlyFlipped(probability: Float = 0.5, random: MediaRandom) -> VideoClip {
        random.uniform(0) < probability ? horizontallyFlipped() : self
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
