import { distance } from 'fastest-levenshtein';

/** Close matches for a mistyped name, best first (pure; used for "did you mean"). */
export function closeMatches(query: string, candidates: string[], limit = 3): string[] {
  const q = query.trim().toLowerCase();
  return candidates
    .map((name) => {
      const n = name.toLowerCase();
      const contains = n.includes(q) || q.includes(n);
      return { name, score: contains ? 0 : distance(q, n) };
    })
    .filter((c) => c.score <= Math.max(2, Math.floor(q.length / 3)))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((c) => c.name);
}
