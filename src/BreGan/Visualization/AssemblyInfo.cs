// Tests reach internal layout and text helpers (e.g. to force the bitmap-font fallback).
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("BreGan.Tests")]
