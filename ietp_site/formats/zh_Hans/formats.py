DATE_FORMAT = "Y年n月j日"
