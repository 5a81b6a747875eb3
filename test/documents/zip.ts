import yauzl from 'yauzl';

/** The entries of a zip file: name, date and bytes, in order (yauzl). */
export async function zipEntries(file: string | Buffer): Promise<{ name: string; mtime: Date; data: Buffer }[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    const done = (error: Error | null, z?: yauzl.ZipFile) => (error ? reject(error) : resolve(z!));
    if (typeof file === 'string') yauzl.open(file, { lazyEntries: true }, done);
    else yauzl.fromBuffer(file, { lazyEntries: true }, done);
  });
  const entries: { name: string; mtime: Date; data: Buffer }[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          entries.push({ name: entry.fileName, mtime: entry.getLastModDate(), data: Buffer.concat(chunks) });
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return entries;
}
