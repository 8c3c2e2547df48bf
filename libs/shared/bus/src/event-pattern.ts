/** RabbitMQ topic-exchange matching, for the in-process broker: `*` is one word, `#` zero or more. */
export function matchesEventPattern(pattern: string, event: string): boolean {
  return matchWords(pattern.split('.'), event.split('.'));
}

function matchWords(pattern: string[], words: string[]): boolean {
  if (pattern.length === 0) {
    return words.length === 0;
  }
  const [head, ...rest] = pattern;
  if (head === '#') {
    for (let skipped = 0; skipped <= words.length; skipped++) {
      if (matchWords(rest, words.slice(skipped))) {
        return true;
      }
    }
    return false;
  }
  return words.length > 0 && (head === '*' || head === words[0]) && matchWords(rest, words.slice(1));
}
