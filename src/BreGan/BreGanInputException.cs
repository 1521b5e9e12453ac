namespace BreGan;

/// <summary>
/// Bad input from the user: a file that cannot be read, a config value out of range, an unknown
/// name. The message is one line that names the problem (and the valid choices where there are
/// any); the command-line tool prints it and exits with code 2.
/// </summary>
public class BreGanInputException : Exception
{
    public BreGanInputException(string message) : base(message) { }
    public BreGanInputException(string message, Exception inner) : base(message, inner) { }
}
