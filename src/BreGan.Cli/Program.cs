using System.Runtime.InteropServices;
using BreGan.Cli;

// bregan: the command-line face of BreGan (see EntryPoint for exit codes).
using var stop = new CancellationTokenSource();
int signalExit = 0;
Console.CancelKeyPress += (_, e) => { e.Cancel = true; signalExit = 130; stop.Cancel(); };
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; signalExit = 143; stop.Cancel(); });
int code = EntryPoint.Run(args, stop.Token);
return stop.IsCancellationRequested && signalExit != 0 ? signalExit : code;
