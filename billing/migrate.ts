import type { Knex } from 'knex';
import { migrations } from '../migrations';

/**
 * Migrations are listed in migrations/index.ts and imported statically, so they run the
 * same way under jest, ts-node style loaders and a compiled build (no file globbing).
 */
class StaticMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return migrations.map((m) => m.name);
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    const found = migrations.find((m) => m.name === name);
    if (!found) throw new Error(`Unknown migration ${name}`);
    return found.migration;
  }
}

/**
 * True when every listed migration is recorded as applied: one query, where knex's migrator
 * needs several (its tables, its lock) to find that out on every start.
 */
async function schemaIsCurrent(db: Knex): Promise<boolean> {
  const { rows } = await db.raw<{ rows: { name: string }[] }>(
    `SELECT name FROM knex_migrations WHERE name = ANY(?)`,
    [migrations.map((m) => m.name)],
  ).catch(() => ({ rows: [] as { name: string }[] }));
  return rows.length === migrations.length;
}

/** Brings the database schema up to date. Safe to call on every start. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  if (await schemaIsCurrent(db)) return [];
  const [, applied] = (await db.migrate.latest({
    migrationSource: new StaticMigrationSource(),
    tableName: 'knex_migrations',
  })) as [number, string[]];
  return applied;
}
