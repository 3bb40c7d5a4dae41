/**
 * Splits one CSV line into fields (RFC 4180 quoting: fields in double quotes may hold commas, and
 * `""` inside them is a quote). Line-at-a-time on purpose, so that files stream; a quoted field that
 * runs past the end of its line is therefore refused rather than joined with the next line.
 */

/**
 * The fields of one CSV line.
 * @throws SyntaxError for an unterminated quoted field or text after a closing quote.
 */
export function splitCsvLine(line: string, delimiter = ","): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      let j = i + 1;
      for (;;) {
        const quote = line.indexOf('"', j);
        if (quote === -1) {
          throw new SyntaxError(
            `unterminated quoted field starting at column ${i + 1} (fields spanning lines are not supported)`,
          );
        }
        value += line.slice(j, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          j = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (line[i] !== delimiter) {
        throw new SyntaxError(`unexpected ${JSON.stringify(line[i])} after the closing quote at column ${i}`);
      }
      i++;
    } else {
      const end = line.indexOf(delimiter, i);
      if (end === -1) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
}
