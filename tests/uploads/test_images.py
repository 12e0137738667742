"""uploads/images.py, the checks and clean copy every uploaded image gets (news' pictures, membership's letters)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from testkit.files import photo_like
from uploads.images import check_image, clean_pixels, encode

GPS_INFO = 0x8825


def not_an_image():
    return "Choose a photo in JPEG or PNG."


def refusal(content, accepted_formats=("JPEG", "PNG")):
    with pytest.raises(ValidationError) as refused:
        check_image(SimpleUploadedFile("upload", content), accepted_formats, not_an_image)
    return refused.value.code, refused.value.messages


def test_a_file_that_is_not_an_image_is_refused_with_the_callers_message():
    assert refusal(b"%PDF-1.7 not a picture at all") == ("not_an_image", ["Choose a photo in JPEG or PNG."])


def test_an_image_in_a_format_not_accepted_is_refused_as_not_an_image():
    assert refusal(photo_like(200, 150, "GIF")) == ("not_an_image", ["Choose a photo in JPEG or PNG."])


def test_a_truncated_image_is_refused_as_damaged():
    whole = photo_like(800, 600)
    code, messages = refusal(whole[: len(whole) // 2])
    assert code == "damaged"
    assert messages == ["This image file is damaged or incomplete. Please export it again and upload the new file."]


def test_an_image_over_the_pixel_ceiling_is_refused_from_its_header_naming_its_size():
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, "PNG")  # 48 megapixels in a few kilobytes
    assert refusal(buffer.getvalue()) == (
        "too_many_pixels",
        ["This image is 8000 × 6000 pixels, more than 40 megapixels. Please reduce it and upload it again."],
    )


def test_a_good_image_passes_and_is_read_again_from_its_start():
    upload = SimpleUploadedFile("photo.jpg", photo_like(400, 300))
    check_image(upload, ("JPEG",), not_an_image)
    assert upload.tell() == 0


def test_the_clean_copy_carries_no_location_and_keeps_the_pixels():
    photo = Image.new("RGB", (64, 48), (200, 30, 40))
    exif = Image.Exif()
    exif[GPS_INFO] = {1: "N", 2: (22.0, 32.0, 0.0), 3: "E", 4: (114.0, 3.0, 0.0)}
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", exif=exif, quality=95)
    with Image.open(io.BytesIO(buffer.getvalue())) as uploaded:
        assert GPS_INFO in uploaded.getexif()
        clean = encode(clean_pixels(uploaded), "JPEG", quality=90)
    with Image.open(io.BytesIO(clean)) as copy:
        assert GPS_INFO not in copy.getexif() and "exif" not in copy.info
        assert copy.size == (64, 48)
        red, green, blue = copy.convert("RGB").getpixel((32, 24))
        assert abs(red - 200) <= 4 and abs(green - 30) <= 4 and abs(blue - 40) <= 4
