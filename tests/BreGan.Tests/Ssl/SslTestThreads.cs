namespace BreGan.Tests.SemiSupervised;

/// <summary>
/// Runs a test class on one intra-op thread and restores the count afterwards: tiny networks on a
/// shared 2-core machine are many times faster on one thread than on two contended ones.
/// </summary>
public abstract class SslSingleThreaded : IDisposable
{
    readonly int saved = torch.get_num_threads();
    protected SslSingleThreaded() => torch.set_num_threads(1);
    public virtual void Dispose() => torch.set_num_threads(saved);
}
