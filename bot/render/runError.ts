/**
 * A run's error as people should read it: the database's own sentence without the SQL that
 * knex puts in front of it, at most 500 characters.
 */
export function errorForPeople(error: string | null): string {
  if (!error) return 'unknown error';
  // knex writes "<the SQL> - <the database's message>"; billing keeps the end of long ones ("…").
  const sql = /^(?:…|\s*(?:with|select|insert|update|delete)\b)[\s\S]* - ([^\n]+)$/i.exec(error);
  const text = (sql ? sql[1] : error).trim();
  return text.length > 500 ? `${text.slice(0, 499)}…` : text;
}
