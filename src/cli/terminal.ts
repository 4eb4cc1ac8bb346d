// Text from files (column names, class names, file names, checkpoint strings) reaches the
// terminal only through here: control characters are shown escaped, never sent raw. An ANSI
// escape in a CSV header could otherwise recolour, move the cursor, retitle the window or hide
// the lines around it; a newline could forge a line of output; a bidirectional override
// (U+202E) could make "x\u202etxt.ckpt" read as "xtpkc.txt".

/** C0 controls (but tab), DEL, C1 controls, bidirectional marks, overrides and isolates, line/paragraph separators. */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** One line as it may be printed: every unsafe character as a visible escape (\x1b, \n, \u202e). */
export function printable(line: string): string {
  return line.replace(UNSAFE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Several lines (a report joined with \n): each line made printable, the line breaks kept. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/** JSON for stdout: JSON.stringify escapes C0 controls itself; C1 and bidirectional controls get \u escapes too (same value). */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
