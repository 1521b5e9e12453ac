using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BreGan;

/// <summary>
/// Attaches BRE to an existing module tree: forward hooks capture the pre-activations of the
/// selected layers during <c>model.call(x)</c>, and <see cref="Compute"/> turns them into
/// <see cref="BreTerms"/>. Three lines in a discriminator's training step:
/// <code>
/// using var bre = BreCapture.Attach(discriminator);      // once, outside the training loop
/// var logits = discriminator.call(fake);                  // hooks capture pre-activations
/// using var terms = bre.Compute();                        // BRE of that pass; captures released
/// var loss = dLoss + 1.0 * terms.Total;
/// </code>
/// A layer "feeds a rectifier" when its output is the input of a rectifier module (ReLU,
/// LeakyReLU, PReLU, RReLU, ReLU6, and the smooth ELU, CELU, SELU, GELU, SiLU, Mish); the capture
/// is that input. Rectifiers are ordered depth-first in registration order, which is their call
/// order in <c>Sequential</c>, in nested blocks, and in modules whose fields are declared in the
/// order they are used. Each selected layer keeps only its latest capture (an <c>alias()</c>, so it survives
/// <c>Sequential</c> disposing intermediate outputs; a clone for in-place rectifiers); a new pass
/// replaces it. Hooks fire only through <c>call()</c>, never <c>forward()</c>. Disposing the
/// capture removes the hooks: a detached model runs exactly as before.
/// </summary>
public sealed class BreCapture : IDisposable
{
    static readonly Type[] RectifierTypes =
    {
        typeof(ReLU), typeof(LeakyReLU), typeof(PReLU), typeof(RReLU), typeof(ReLU6),
        typeof(ELU), typeof(CELU), typeof(SELU), typeof(GELU), typeof(SiLU), typeof(Mish),
    };

    readonly List<Action> _removers = new();
    readonly Tensor?[] _slots;
    readonly BreOptions _options;
    bool _disposed;

    BreCapture(IReadOnlyList<string> names, BreOptions options)
    {
        LayerNames = names;
        _slots = new Tensor?[names.Count];
        _options = options;
    }

    /// <summary>Names (from <c>named_modules()</c>) of the hooked layers, in order.</summary>
    public IReadOnlyList<string> LayerNames { get; }

    /// <summary>When false, the hooks do nothing (for example during G's step through D).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The BRE options <see cref="Compute"/> uses.</summary>
    public BreOptions Options => _options;

    /// <summary>True when every selected layer has a capture from the latest pass.</summary>
    public bool HasCapture => _slots.All(s => s is not null);

    /// <summary>
    /// The latest pre-activations, one per selected layer, in order. Valid until the next pass or
    /// <see cref="Release"/>; use <see cref="Take"/> to own them.
    /// </summary>
    public IReadOnlyList<Tensor> Captured
    {
        get
        {
            ThrowIfDisposed();
            if (!HasCapture)
                throw new InvalidOperationException(
                    "BreCapture has no pre-activations: run the model with model.call(x) (hooks do not fire through forward()) while Enabled is true.");
            return _slots.Select(s => s!).ToArray();
        }
    }

    /// <summary>
    /// The rectifier modules of a model in <c>named_modules()</c> order, with their names.
    /// </summary>
    public static IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> FindRectifiers(nn.Module model) =>
        DepthFirst(model, "")
            .Where(m => RectifierTypes.Contains(m.Module.GetType()))
            .Select(m => (m.Name, (nn.Module<Tensor, Tensor>)m.Module))
            .ToList();

    // Depth-first, in registration order: a parent's children each with their own subtree, which
    // is call order for nested blocks too. (TorchSharp's named_modules() lists all children of a
    // module before any grandchild.)
    static IEnumerable<(string Name, nn.Module Module)> DepthFirst(nn.Module module, string prefix)
    {
        foreach (var (name, child) in module.named_children())
        {
            var full = prefix.Length == 0 ? name : prefix + "." + name;
            yield return (full, child);
            foreach (var descendant in DepthFirst(child, full)) yield return descendant;
        }
    }

    /// <summary>
    /// Hooks the layers that <paramref name="placement"/> selects (default: every layer that feeds a
    /// rectifier except the first and the last). Throws <see cref="ArgumentException"/> when the
    /// policy selects nothing or names a module that does not exist.
    /// </summary>
    public static BreCapture Attach(nn.Module model, BrePlacement? placement = null, BreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        placement ??= BrePlacement.Default;
        options ??= BreOptions.Default;
        options.Validate();
        if (placement.Kind == BrePlacementKind.Names) return AttachByName(model, placement.Names ?? Array.Empty<string>(), options);

        var rectifiers = FindRectifiers(model);
        if (rectifiers.Count == 0)
            throw new ArgumentException(
                $"BRE placement '{placement}' needs rectifier modules (ReLU, LeakyReLU, ...) in the model, and {model.GetType().Name} has none; use names:<module,...> to pick layers by name.");
        var picked = placement.Select(rectifiers.Count).Select(i => rectifiers[i]).ToList();
        var capture = new BreCapture(picked.Select(p => p.Name).ToList(), options);
        for (int slot = 0; slot < picked.Count; slot++) capture.HookInput(picked[slot].Module, slot);
        return capture;
    }

    /// <summary>
    /// Hooks modules by name: a rectifier contributes its input (the pre-activation), any other
    /// module its output (name the layer whose output feeds the nonlinearity).
    /// </summary>
    public static BreCapture AttachByName(nn.Module model, IEnumerable<string> names, BreOptions? options = null)
    {
        options ??= BreOptions.Default;
        options.Validate();
        var wanted = names.ToList();
        if (wanted.Count == 0) throw new ArgumentException("BRE needs at least one layer name.", nameof(names));
        var modules = DepthFirst(model, "").ToDictionary(m => m.Name, m => m.Module);
        var capture = new BreCapture(wanted, options);
        for (int slot = 0; slot < wanted.Count; slot++)
        {
            if (!modules.TryGetValue(wanted[slot], out var module) || module is not nn.Module<Tensor, Tensor> typed)
            {
                capture.Dispose();
                var valid = string.Join(", ", modules.Keys.Where(k => k.Length > 0 && modules[k] is nn.Module<Tensor, Tensor>));
                throw new ArgumentException($"BRE layer '{wanted[slot]}' is not a tensor-to-tensor module of {model.GetType().Name}; valid: {valid}.");
            }
            if (RectifierTypes.Contains(typed.GetType())) capture.HookInput(typed, slot);
            else capture.HookOutput(typed, slot);
        }
        return capture;
    }

    void HookInput(nn.Module<Tensor, Tensor> rectifier, int slot)
    {
        // An in-place rectifier overwrites its input after the hook: keep a copy then.
        bool inPlace = rectifier.GetType().GetProperty("inplace")?.GetValue(rectifier) is true;
        var pre = rectifier.register_forward_pre_hook((_, input) =>
        {
            if (Enabled) Store(slot, inPlace ? input.clone() : input.alias());
            return null!;
        });
        _removers.Add(pre.remove);
    }

    void HookOutput(nn.Module<Tensor, Tensor> module, int slot)
    {
        var post = module.register_forward_hook((_, _, output) =>
        {
            if (Enabled) Store(slot, output.alias());
            return null!;
        });
        _removers.Add(post.remove);
    }

    void Store(int slot, Tensor t)
    {
        _slots[slot]?.Dispose();
        _slots[slot] = t;
    }

    /// <summary>
    /// BRE of the latest pass over the selected layers, then the captures are released. The
    /// caller owns (and disposes) the terms.
    /// </summary>
    public BreTerms Compute()
    {
        var captured = Captured;
        try { return Bre.Compute(captured, _options); }
        finally { Release(); }
    }

    /// <summary>The spec's monitors of the latest pass (no graph, one host copy); captures kept.</summary>
    public BreMonitorValues Monitor() => Bre.Monitor(Captured, _options);

    /// <summary>Hands the latest captures to the caller (who disposes them) and forgets them.</summary>
    public IReadOnlyList<Tensor> Take()
    {
        var captured = Captured;
        Array.Clear(_slots);
        return captured;
    }

    /// <summary>Disposes the captures of the latest pass.</summary>
    public void Release()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i]?.Dispose();
            _slots[i] = null;
        }
    }

    /// <summary>Disables the hooks until the returned object is disposed.</summary>
    public IDisposable Pause()
    {
        bool was = Enabled;
        Enabled = false;
        return new Restore(() => Enabled = was);
    }

    /// <summary>Removes the hooks and releases any capture.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var remove in _removers) remove();
        _removers.Clear();
        Release();
    }

    void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
