namespace BreGan.Visualization;

/// <summary>A rectangle of the 2D input plane, in data coordinates.</summary>
/// <param name="XMin">Left edge.</param>
/// <param name="XMax">Right edge (greater than <paramref name="XMin"/>).</param>
/// <param name="YMin">Bottom edge.</param>
/// <param name="YMax">Top edge (greater than <paramref name="YMin"/>).</param>
public readonly record struct PlaneExtent(double XMin, double XMax, double YMin, double YMax)
{
    /// <summary>A square centred on the origin: [-halfWidth, halfWidth] on both axes.</summary>
    public static PlaneExtent Square(double halfWidth) => new(-halfWidth, halfWidth, -halfWidth, halfWidth);

    internal void Validate(string paramName)
    {
        if (!(double.IsFinite(XMin) && double.IsFinite(XMax) && double.IsFinite(YMin) && double.IsFinite(YMax))
            || XMax <= XMin || YMax <= YMin)
            throw new ArgumentException($"Plane extent must be finite with XMax > XMin and YMax > YMin (got {this}).", paramName);
    }
}

/// <summary>
/// Activation patterns of one discriminator layer over the plane grid.
/// </summary>
/// <param name="Name">Column title, e.g. "layer 1".</param>
/// <param name="PatternHash">
/// One hash of the binary activation pattern per grid cell: <c>Resolution * Resolution</c> values,
/// row-major, row 0 at the top (y = YMax), column 0 at the left (x = XMin). Equal hashes mean the
/// same pattern and are drawn in the same colour.
/// </param>
/// <param name="DistinctPatterns">Number of distinct patterns on the grid, shown in the title.</param>
public sealed record MosaicLayer(string Name, long[] PatternHash, int DistinctPatterns);

/// <summary>
/// Everything one mosaic picture shows: samples, the plane partition per layer, and D's output.
/// </summary>
/// <param name="Iteration">Training iteration, shown in the overall title.</param>
/// <param name="Title">Optional run name such as "baseline" or "BRE".</param>
/// <param name="Extent">The plane the grid covers.</param>
/// <param name="Resolution">Grid cells per side.</param>
/// <param name="DataXY">Real samples, interleaved x,y.</param>
/// <param name="FakeXY">Generated samples, interleaved x,y.</param>
/// <param name="Layers">One pattern plane per layer, drawn left to right.</param>
/// <param name="ProbabilityReal">
/// D's probability of "real" per grid cell, in [0,1], same layout as <see cref="MosaicLayer.PatternHash"/>.
/// </param>
public sealed record MosaicFrame(
    int Iteration,
    string? Title,
    PlaneExtent Extent,
    int Resolution,
    float[] DataXY,
    float[] FakeXY,
    IReadOnlyList<MosaicLayer> Layers,
    float[] ProbabilityReal);
