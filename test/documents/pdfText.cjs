// Reads a PDF from stdin and prints the text of each page as JSON: {"pages": ["...", ...]}.
// Run as its own process (test/documents/helpers.ts): pdf-parse's pdf.js loads its worker with
// a dynamic import, which Jest's module sandbox does not allow.
const { PDFParse } = require('pdf-parse');

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  const parser = new PDFParse({ data: new Uint8Array(Buffer.concat(chunks)) });
  try {
    const result = await parser.getText();
    process.stdout.write(JSON.stringify({ pages: result.pages.map((p) => p.text) }));
  } catch (error) {
    process.stderr.write(String(error && error.message ? error.message : error));
    process.exitCode = 1;
  } finally {
    await parser.destroy();
  }
});
