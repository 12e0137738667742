"""Files as people send them: photo-like images (a phone's, lying on its side with its location), PDFs (a story's
document, a letter of support with or without what a letter should not carry) and office files."""

import functools
import io

from PIL import Image, ImageCms, ImageDraw, ImageFilter

ORIENTATION, GPS_IFD = 0x0112, 0x8825


@functools.cache
def photo_like(width=1600, height=1200, image_format="JPEG", **save_options):
    """Encoded bytes of a photo-like image (gradients, blotches, shapes, grain): not trivially compressible.

    Made once per size, format and options in a run (a 1600×1200 photo takes a tenth of a second to make).
    """
    channels = [Image.linear_gradient("L").rotate(angle).resize((width, height)) for angle in (0, 90, 45)]
    base = Image.merge("RGB", channels)
    blotches = Image.merge(
        "RGB", [Image.effect_noise((max(width // 60, 2), max(height // 60, 2)), 60) for _ in range(3)]
    ).resize((width, height), Image.Resampling.BICUBIC)
    image = Image.blend(base, blotches, 0.5)
    draw = ImageDraw.Draw(image)
    for step in range(12):
        left, top = (step * 373) % width, (step * 211) % height
        draw.rectangle([left, top, left + width // 6, top + height // 8], fill=(40 + step * 15, 90, 200 - step * 10))
    image = image.filter(ImageFilter.GaussianBlur(1))
    image = Image.blend(image, Image.effect_noise((width, height), 40).convert("RGB"), 0.1)
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save_options)
    return buffer.getvalue()


def phone_photo(width=1600, height=1200):
    """A camera JPEG lying on its side (EXIF orientation 6), with GPS, XMP and an ICC profile."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (22.0, 32.0, 41.5), 3: "E", 4: (114.0, 3.0, 12.0)})
    image = Image.open(io.BytesIO(photo_like(width, height)))
    # A marker in the top-left corner as stored on the sensor; upright, it is in the top right.
    image.paste((255, 0, 0), (0, 0, width // 8, height // 8))
    buffer = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(buffer, "JPEG", exif=exif, icc_profile=icc, xmp=b"<x:xmpmeta>GPSLatitude 22,32</x:xmpmeta>")
    return buffer.getvalue()


def minimal_pdf(text="Audit deadlines 2024"):
    """A small valid one-page PDF saying `text`, with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def office_file(main_part="word/document.xml", macros=False, parts=()):
    """The bytes of a skeletal Word (or, with main_part="xl/workbook.xml", Excel) file, with macros if asked and
    the other parts given as (name, bytes) pairs."""
    import zipfile

    macro_type = '<Override PartName="/word/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types">{macro_type if macros else ""}</Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr(main_part, "<document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00" * 64)
        for name, content in parts:
            archive.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@functools.cache
def office_zip_bomb(unpacked_mb=400):
    """A Word file of about 400 KB that unpacks to `unpacked_mb` MB of zeros (the tester's .docx), written in
    pieces so the bomb is never whole in memory."""
    import zipfile

    buffer = io.BytesIO(office_file())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/media/image1.bmp", "w", force_zip64=True) as part:
            for _ in range(unpacked_mb):
                part.write(bytes(1024 * 1024))
    return buffer.getvalue()


def with_claimed_sizes(office, name, unpacked, packed):
    """The office file with the central directory's sizes for the part `name` changed: what an archive says of
    itself is all a check that never unpacks it can read."""
    import struct

    office = bytearray(office)
    record = office.index(b"PK\x01\x02")
    while office[record + 46 : record + 46 + struct.unpack_from("<H", office, record + 28)[0]] != name.encode():
        record = office.index(b"PK\x01\x02", record + 4)
    struct.pack_into("<II", office, record + 20, packed, unpacked)
    return bytes(office)


def letter_pdf(
    *, javascript=False, attachment=False, page_actions=False, script_in_resources=False, pages=1, password=None
):
    """A PDF letter made by pypdf, a page with a line of text, and optionally what a letter should not carry: a
    document script run on opening, an attached file, a page action and a link running a script, or a script
    tucked where no neutraliser looks (in the page's resources). With `password` (possibly "", as "protected"
    PDFs that anyone may open are) it is encrypted, with RC4, which pypdf reads without other libraries."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    for _number in range(pages):
        page = writer.add_blank_page(595, 842)
        content = DecodedStreamObject()
        content.set_data(b"BT /F1 24 Tf 72 720 Td (Letter of support, signed) Tj ET")
        page[NameObject("/Contents")] = writer._add_object(content)
    script = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('letter')")}
    )
    if javascript:
        names = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("opening"), writer._add_object(script)])}
        )
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): names})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
    if attachment:
        writer.add_attachment("payload.exe", b"MZ-attached-payload")
    if page_actions:
        page = writer.pages[0]
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): script})
        link = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([]),
                NameObject("/A"): script,
            }
        )
        attached = DictionaryObject(
            {NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/FileAttachment")}
        )
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(link), writer._add_object(attached)])
    if script_in_resources:
        writer.pages[0][NameObject("/Resources")] = DictionaryObject({NameObject("/Hidden"): script})
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner-only", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@functools.cache
def blank_png(width=6000, height=6000, mode="RGB"):
    """A blank PNG: 140 KB on disk for 6000 × 6000, 108 MB of pixels once decoded (a decompression bomb under
    the 40-megapixel cap)."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_declaring_size(width, height):
    """A small JPEG whose header claims `width` × `height` pixels (a JPEG bomb: the decoder would allocate them)."""
    data = bytearray(photo_like(64, 48))
    start_of_frame = data.index(b"\xff\xc0")
    data[start_of_frame + 5 : start_of_frame + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


@functools.cache
def pdf_with_flate_bomb(unpacked_mb=64):
    """A one-page PDF whose page content is a FlateDecode stream of `unpacked_mb` MB of zeros (about 1/1000 of
    that on disk): its structure is sound; reading its page is a decompression bomb."""
    import zlib

    packer = zlib.compressobj(9)
    megabyte = b"\0" * (1024 * 1024)
    stream = b"".join(packer.compress(megabyte) for _ in range(unpacked_mb)) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)
