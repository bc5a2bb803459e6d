// Converts each image of a folder to sRGB with sharp, as its thumbnail
// pipeline does (embedded profile, or libvips' default CMYK profile for
// CMYK without one; perceptual intent), and writes the raw 8-bit RGB
// pixels next to it as NAME.rgb. TestSharpCMYKGrid compares them with
// imaging's conversion of the same pixels.
// usage: NODE_PATH=<sharp's node_modules> node srgb.js DIR
const fs = require('fs'), path = require('path');
const sharp = require('sharp');
const dir = process.argv[2];
sharp.cache(false);
(async () => {
  for (const f of fs.readdirSync(dir).filter(f => /\.(tiff?|jpe?g)$/i.test(f)).sort()) {
    const { data } = await sharp(path.join(dir, f)).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    fs.writeFileSync(path.join(dir, f + '.rgb'), data);
  }
})().catch(e => { console.error(e); process.exit(1); });
