using System.Text;

namespace Carmine.Cli;

/// <summary>A minimal line editor for the terminal: typing, backspace, left/right, home/end, up/down through the
/// history, Tab cycling through completions and a grey hint after the line, as redis-cli's linenoise does.
/// Without a terminal it is Console.ReadLine.</summary>
public sealed class LineEditor(List<string> history, Func<string, List<string>>? complete = null, Func<string, string?>? hint = null)
{
    /// <summary>The next line, or null at end of input (Ctrl-D on an empty line, or EOF).</summary>
    public string? ReadLine(string prompt)
    {
        // Like linenoise, no prompt and no editing when stdin is not a terminal.
        if (Console.IsInputRedirected) return Console.ReadLine();
        Console.Out.Write(prompt);
        var line = new StringBuilder();
        int cursor = 0;
        int historyIndex = history.Count;
        string pending = "";
        List<string>? completions = null;
        int completion = 0;
        string typed = "";
        void Redraw()
        {
            string shown = hint?.Invoke(line.ToString()) is { } h ? "\x1b[0;90;49m" + h + "\x1b[0m" : "";
            Console.Out.Write("\r" + prompt + line + shown + "\x1b[0K");
            int back = line.Length - cursor + (shown.Length == 0 ? 0 : hint!(line.ToString())!.Length);
            if (back > 0) Console.Out.Write($"\x1b[{back}D");
        }
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Tab && complete is not null)
            {
                // Tab shows the next completion of what was typed, then the typed text again, as linenoise does;
                // any other key keeps what is shown.
                if (completions is null)
                {
                    typed = line.ToString();
                    completions = complete(typed);
                }
                if (completions.Count == 0)
                {
                    Console.Out.Write("\a");
                    completions = null;
                    continue;
                }
                int at = completion++ % (completions.Count + 1);
                line.Clear().Append(at < completions.Count ? completions[at] : typed);
                cursor = line.Length;
                Redraw();
                continue;
            }
            completions = null;
            completion = 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.Out.Write("\n");
                    return line.ToString();
                case ConsoleKey.Backspace:
                    if (cursor > 0) line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete:
                    if (cursor < line.Length) line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow:
                    if (cursor > 0) cursor--;
                    break;
                case ConsoleKey.RightArrow:
                    if (cursor < line.Length) cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.UpArrow:
                case ConsoleKey.DownArrow:
                    if (historyIndex == history.Count) pending = line.ToString();
                    historyIndex = Math.Clamp(historyIndex + (key.Key == ConsoleKey.UpArrow ? -1 : 1), 0, history.Count);
                    line.Clear().Append(historyIndex == history.Count ? pending : history[historyIndex]);
                    cursor = line.Length;
                    break;
                default:
                    if ((key.Modifiers & ConsoleModifiers.Control) != 0 && key.Key == ConsoleKey.D && line.Length == 0) return null;
                    if ((key.Modifiers & ConsoleModifiers.Control) != 0 && key.Key == ConsoleKey.L)
                    {
                        Console.Out.Write("\x1b[H\x1b[2J");
                        break;
                    }
                    if (!char.IsControl(key.KeyChar)) line.Insert(cursor++, key.KeyChar);
                    break;
            }
            Redraw();
        }
    }
}
