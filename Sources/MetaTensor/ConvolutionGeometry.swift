/// The sizes of one 2-D convolution in NCHW layout (input `[batch, channels, height, width]`,
/// filter `[outChannels, channels, kernelHeight, kernelWidth]`), with symmetric zero padding.
public struct ConvolutionGeometry: Sendable, Hashable, CustomStringConvertible {
    public var batch: Int, channels: Int, height: Int, width: Int
    public var outChannels: Int, kernelHeight: Int, kernelWidth: Int
    public var stride: Int, padding: Int

    public init(batch: Int, channels: Int, height: Int, width: Int,
                outChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.stride = stride; self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of the column matrix: `channels · kernelHeight · kernelWidth`.
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Columns of the column matrix: `batch · outHeight · outWidth`.
    public var columnCount: Int { batch * outHeight * outWidth }
    public var inputShape: [Int] { [batch, channels, height, width] }
    public var filterShape: [Int] { [outChannels, channels, kernelHeight, kernelWidth] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    /// Multiply-adds of the forward pass times two.
    public var forwardFLOPs: Int { 2 * outChannels * patchSize * columnCount }

    public var description: String {
        "conv(input \(inputShape), filter \(filterShape), stride \(stride), padding \(padding))"
    }
}
