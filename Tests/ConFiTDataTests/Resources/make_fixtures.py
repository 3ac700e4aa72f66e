"""Regenerates the ConFiTData test fixtures (run from this folder; needs Pillow, numpy, scipy).

Expected pixels come from Pillow (generated with Pillow 13.0.0, which runs the vertical pass
first when the height shrinks by more than twice as many pixels as the width; 'very_tall'
covers that), which torchvision's PIL path uses:
  Resize(S) -> img.resize((w, h), Image.BILINEAR) with the short side S and the long side
  int(S * long / short); CenterCrop(C) -> offsets int(round((size - C) / 2)).

Files (all small):
  images/*.jpg|png          decoder inputs; <name>.rgb holds Pillow's convert("RGB") pixels
                            (raw HWC uint8), <name>.txt its "width height".
  images/truncated.jpg|png, corrupt.jpg, not_an_image.jpg: inputs that must fail cleanly.
  resize/<case>.in.rgb      source pixels (HWC uint8, 3 or 1 channel); resize/<case>.out.rgb
                            Pillow's resized pixels; resize/cases.json lists the cases.
  photo.jpg + photo_256_224_stride7.rgb: the full eval transform (decode, Resize(256),
                            CenterCrop(224)) sampled every 7th row and column (32x32x3).
  mat/imagelabels.mat (compressed), mat/setid.mat (uncompressed), mat/types.mat (several
                            dtypes, big matrix) for the MATLAB v5 reader; mat/types.json holds
                            the values.
  mat/imagelabels_8189.mat  Flowers-102's shape (1 x 8189 uint8, 102 classes; image k has
                            label (k - 1) % 102 + 1, not the real labels) for the embedded split.
  flowers102_split.json     a copy of ../shared/protocols/flowers102_split.json (not generated).
  idx/*.gz                  a 6-image MNIST-format set (gzipped IDX).
  cifar-10-batches-py/      the CIFAR-10 python layout, one image per batch, pickle protocol 2
                            (bytes via _codecs.encode, as Python 3 writes them); image k of
                            batch b has R, G, B planes filled with 10b + k, 100 + b, 200.
  cifar-100-python/         the CIFAR-100 python layout (3 train, 1 test images), protocol 4.
"""
import json, os, gzip, pickle, struct
import numpy as np
from PIL import Image
import scipy.io

rng = np.random.default_rng(0)
os.makedirs('images', exist_ok=True)
os.makedirs('resize', exist_ok=True)
os.makedirs('mat', exist_ok=True)
os.makedirs('idx', exist_ok=True)


def photo(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 7.0) * np.cos(y / 11.0)
    g = 255 * x / max(w - 1, 1)
    b = 255 * ((x // 8 + y // 8) % 2)
    img = np.stack([r, g, b], -1) + rng.normal(0, 12, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def save_expected(name, img):
    rgb = img.convert('RGB')
    open(f'images/{name}.rgb', 'wb').write(np.asarray(rgb).tobytes())
    open(f'images/{name}.txt', 'w').write(f'{rgb.width} {rgb.height}\n')


im = Image.fromarray(photo(40, 30))
im.save('images/rgb.jpg', quality=90)
save_expected('rgb.jpg', Image.open('images/rgb.jpg'))
im.convert('L').save('images/gray.jpg', quality=90)
save_expected('gray.jpg', Image.open('images/gray.jpg'))
im.resize((16, 12)).convert('CMYK').save('images/cmyk.jpg', quality=95)
save_expected('cmyk.jpg', Image.open('images/cmyk.jpg'))
im.resize((20, 15)).convert('P', palette=Image.ADAPTIVE, colors=16).save('images/palette.png')
save_expected('palette.png', Image.open('images/palette.png'))
im.resize((20, 15)).convert('L').save('images/gray.png')
save_expected('gray.png', Image.open('images/gray.png'))
rgba = np.concatenate([photo(20, 15), rng.integers(0, 256, (15, 20, 1), dtype=np.uint8)], -1)
Image.fromarray(rgba, 'RGBA').save('images/rgba.png')
save_expected('rgba.png', Image.open('images/rgba.png'))
# 16-bit gray: Pillow has no faithful 8-bit conversion (it clips), so the expected pixels are
# the rescale round(v * 255 / 65535), replicated to RGB.
g16 = rng.integers(0, 65536, (9, 11), dtype=np.uint16)
Image.fromarray(g16.astype(np.int32)).convert('I;16').save('images/gray16.png')
g8 = np.round(g16.astype(np.float64) * 255 / 65535).astype(np.uint8)
open('images/gray16.png.rgb', 'wb').write(np.repeat(g8[..., None], 3, -1).tobytes())
open('images/gray16.png.txt', 'w').write('11 9\n')

jpg = open('images/rgb.jpg', 'rb').read()
open('images/truncated.jpg', 'wb').write(jpg[: len(jpg) // 2])
open('images/corrupt.jpg', 'wb').write(jpg[:2] + bytes(rng.integers(0, 256, 200, dtype=np.uint8)))
png = open('images/palette.png', 'rb').read()
open('images/truncated.png', 'wb').write(png[: len(png) // 2])
open('images/not_an_image.jpg', 'w').write('this is text, not a JPEG\n')

cases = []
for name, (w, h), size, gray in [('down', (97, 61), 16, False), ('up', (13, 9), 20, False),
                                 ('tall', (23, 57), 10, False), ('gray', (50, 31), 7, True),
                                 ('same_short', (40, 16), 16, False), ('very_tall', (12, 70), 6, False)]:
    src = photo(w, h)
    img = Image.fromarray(src).convert('L') if gray else Image.fromarray(src)
    short, long = min(w, h), max(w, h)
    nl = int(size * long / short)
    ow, oh = (size, nl) if w <= h else (nl, size)
    out = img.resize((ow, oh), Image.BILINEAR)
    open(f'resize/{name}.in.rgb', 'wb').write(np.asarray(img).tobytes())
    open(f'resize/{name}.out.rgb', 'wb').write(np.asarray(out).tobytes())
    cases.append({'name': name, 'width': w, 'height': h, 'channels': 1 if gray else 3,
                  'short_side': size, 'out_width': ow, 'out_height': oh})
json.dump(cases, open('resize/cases.json', 'w'), indent=1)

Image.fromarray(photo(300, 200)).save('photo.jpg', quality=85)
p = Image.open('photo.jpg').convert('RGB')
w, h = p.size
p = p.resize((int(256 * w / h), 256), Image.BILINEAR)
left, top = int(round((p.width - 224) / 2.0)), int(round((p.height - 224) / 2.0))
p = p.crop((left, top, left + 224, top + 224))
open('photo_256_224_stride7.rgb', 'wb').write(np.asarray(p)[::7, ::7].tobytes())

labels = rng.integers(1, 4, (1, 12)).astype(np.float64)
labels[0, :3] = [1, 2, 3]
scipy.io.savemat('mat/imagelabels.mat', {'labels': labels}, do_compression=True)
scipy.io.savemat('mat/setid.mat', {'trnid': np.array([[1, 2, 3, 4]], dtype=np.uint16),
                                   'valid': np.array([[5, 6]], dtype=np.uint8),
                                   'tstid': np.array([[7, 8, 9, 10, 11, 12]], dtype=np.float64)})
scipy.io.savemat('mat/imagelabels_8189.mat', {'labels': (np.arange(8189) % 102 + 1).astype(np.uint8)[None, :]},
                 do_compression=True)
types = {'i8': np.array([[-3, 5]], dtype=np.int8), 'i32': np.array([[-70000], [12]], dtype=np.int32),
         'f32': np.array([[0.5, -1.25, 3.0]], dtype=np.float32), 'u8': np.array([[200]], dtype=np.uint8),
         'big': np.arange(24, dtype=np.float64).reshape(4, 6) / 3, 'name': 'a string to skip'}
scipy.io.savemat('mat/types.mat', types)
json.dump({k: {'dimensions': list(v.shape), 'values': v.flatten(order='F').astype(float).tolist()}
           for k, v in types.items() if k != 'name'}, open('mat/types.json', 'w'))

digits = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
for prefix, n in [('train', 4), ('t10k', 2)]:
    part = digits[:n] if prefix == 'train' else digits[4:]
    with gzip.open(f'idx/{prefix}-images-idx3-ubyte.gz', 'wb') as f:
        f.write(struct.pack('>IIII', 0x803, n, 28, 28) + part.tobytes())
    with gzip.open(f'idx/{prefix}-labels-idx1-ubyte.gz', 'wb') as f:
        f.write(struct.pack('>II', 0x801, n) + bytes([3, 1, 4, 1][:n] if prefix == 'train' else [5, 9]))

os.makedirs('cifar-10-batches-py', exist_ok=True)
def cifar_batch(batch, count, label_key, labels):
    data = np.zeros((count, 3072), dtype=np.uint8)
    for k in range(count):
        data[k, :1024], data[k, 1024:2048], data[k, 2048:] = 10 * batch + k, 100 + batch, 200
    return {b'batch_label': b'batch %d' % batch, label_key: labels, b'data': data,
            b'filenames': [b'img_%d.png' % k for k in range(count)]}
for b in range(1, 6):
    pickle.dump(cifar_batch(b, 1, b'labels', [b]), open(f'cifar-10-batches-py/data_batch_{b}', 'wb'), protocol=2)
pickle.dump(cifar_batch(6, 1, b'labels', [9]), open('cifar-10-batches-py/test_batch', 'wb'), protocol=2)
names10 = [b'airplane', b'automobile', b'bird', b'cat', b'deer', b'dog', b'frog', b'horse', b'ship', b'truck']
pickle.dump({b'label_names': names10, b'num_cases_per_batch': 1, b'num_vis': 3072},
            open('cifar-10-batches-py/batches.meta', 'wb'), protocol=2)
os.makedirs('cifar-100-python', exist_ok=True)
train = cifar_batch(1, 3, b'fine_labels', [99, 0, 42])
train[b'coarse_labels'] = [1, 2, 3]
pickle.dump(train, open('cifar-100-python/train', 'wb'), protocol=4)
pickle.dump(cifar_batch(2, 1, b'fine_labels', [7]), open('cifar-100-python/test', 'wb'), protocol=4)
pickle.dump({b'fine_label_names': [b'class%d' % i for i in range(100)],
             b'coarse_label_names': [b'super%d' % i for i in range(20)]},
            open('cifar-100-python/meta', 'wb'), protocol=4)
