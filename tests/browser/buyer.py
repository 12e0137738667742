"""What a buyer reads on the membership form in each language, and what they type: shared by the membership journeys."""

from dataclasses import dataclass

from testkit.applications import application_answers


@dataclass(frozen=True)
class Words:
    """What a buyer reads on the way, in one language."""

    language: str  # as saved on the application
    html_lang: str
    news_path: str
    way_in: str  # "footer" call to action or "nav" link on the news page
    way_in_link: str
    heading: str
    your_company: str
    main_contact: str
    executive: str
    about_you: str
    commitments: str
    company_name: str
    brand_names: str
    website: str
    headquarters: str
    company_type: str
    brand: str
    toys: str
    seasonal: str
    annual_sales: str
    factory_count: str
    supplier_countries: str
    china: str
    other_countries: str
    sri_lanka: str
    contact_name: str
    contact_job_title: str
    contact_email: str
    contact_phone: str
    executive_name: str
    executive_title: str
    executive_email: str
    association_member: str
    association_name: str
    yes: str
    heard_from: str
    message: str
    agree: str
    consent: str
    submit: str
    four_mistakes: str
    required: str
    bad_email: str
    bad_url: str
    consent_needed: str
    thanks: str
    confirmation_subject: str


ENGLISH = Words(
    language="en",
    html_lang="en",
    news_path="/news/",
    way_in="footer",
    way_in_link="Apply for Buyer Membership",
    heading="Become a Buyer Member",
    your_company="Your company",
    main_contact="Main contact",
    executive="Senior executive who will sign the letter of support",
    about_you="About you",
    commitments="Commitments",
    company_name="Company legal name",
    brand_names="Brand names",
    website="Website",
    headquarters="Headquarters country",
    company_type="Company type",
    brand="Brand",
    toys="Toys",
    seasonal="Seasonal items",
    annual_sales="Annual sales",
    factory_count="Number of supplier factories",
    supplier_countries="Countries of supplier factories",
    china="China",
    other_countries="Other countries",
    sri_lanka="Sri Lanka",
    contact_name="Contact name",
    contact_job_title="Contact job title",
    contact_email="Contact email",
    contact_phone="Contact phone",
    executive_name="Executive name",
    executive_title="Executive job title",
    executive_email="Executive email",
    association_member="Is your company a member of a national toy association?",
    association_name="Association name",
    yes="Yes",
    heard_from="How did you hear about the programme?",
    message="Message",
    agree="We agree to the Buyer Membership Principles",
    consent="I consent to IETP storing and using these details",
    submit="Submit application",
    four_mistakes="Please correct the 4 mistakes below.",
    required="Enter the company legal name.",
    bad_email="Enter the contact email as an address like name@example.com.",
    bad_url="Enter the website as an address like https://example.com.",
    consent_needed="We need your consent to the privacy notice to review your application.",
    thanks="Thank you for applying",
    confirmation_subject="We have received your IETP buyer membership application",
)

CHINESE = Words(
    language="zh-hans",
    html_lang="zh-Hans",
    news_path="/zh/news/",
    way_in="nav",
    way_in_link="买家会员",
    heading="成为买家会员",
    your_company="贵公司",
    main_contact="主要联系人",
    executive="签署支持函的高级管理人员",
    about_you="其他信息",
    commitments="承诺",
    company_name="公司法定名称",
    brand_names="品牌名称",
    website="网站",
    headquarters="总部所在国家/地区",
    company_type="公司类型",
    brand="品牌商",
    toys="玩具",
    seasonal="节庆季节性商品",
    annual_sales="年销售额",
    factory_count="供应商工厂数量",
    supplier_countries="供应商工厂所在国家/地区",
    china="中国",
    other_countries="其他国家/地区",
    sri_lanka="斯里兰卡",
    contact_name="联系人姓名",
    contact_job_title="联系人职位",
    contact_email="联系人邮箱",
    contact_phone="联系人电话",
    executive_name="高管姓名",
    executive_title="高管职位",
    executive_email="高管邮箱",
    association_member="贵公司是否为某个国家级玩具协会的会员？",
    association_name="协会名称",
    yes="是",
    heard_from="您是如何了解到本计划的？",
    message="留言",
    agree="我们同意《买家会员原则》",
    consent="我同意 IETP 按照隐私声明所述",
    submit="提交申请",
    four_mistakes="请更正以下 4 处错误。",
    required="请填写公司法定名称。",
    bad_email="请按 name@example.com 的格式填写联系人邮箱。",
    bad_url="请按 https://example.com 的格式填写网站。",
    consent_needed="我们需要您同意隐私声明，才能审核您的申请。",
    thanks="感谢您的申请",
    confirmation_subject="我们已收到您的 IETP 买家会员申请",
)

# What the buyer means to send: the answers the other membership tests post.
ANSWERS = application_answers()
CONTACT_EMAIL = ANSWERS["contact_email"]
TYPED_EMAIL = "mei.chan bright-toys.example.com"  # the @ forgotten
TYPED_WEBSITE = "bright toys dot com"
MESSAGE = "We would like to join before the spring fair.\n玩具展前加入。"  # both languages, two lines


def section(page, title):
    return page.get_by_role("region", name=title)


def fill_application_with_mistakes(page, words):
    """Everything a buyer fills in, except the company name and the privacy consent, with a bad email and website."""
    company = section(page, words.your_company)
    company.get_by_label(words.brand_names).fill(ANSWERS["brand_names"])
    company.get_by_label(words.website).fill(TYPED_WEBSITE)
    company.get_by_label(words.headquarters).select_option(ANSWERS["headquarters_country"])
    company.get_by_role("group", name=words.company_type).get_by_label(words.brand, exact=True).check()

    page.get_by_label(words.toys, exact=True).check()
    page.get_by_label(words.seasonal, exact=True).check()
    page.get_by_label(words.annual_sales).select_option(ANSWERS["annual_sales"])
    page.get_by_label(words.factory_count).fill(ANSWERS["supplier_factory_count"])
    countries = page.get_by_role("group", name=words.supplier_countries)
    countries.get_by_label(words.china, exact=True).check()
    # The rest of the world unfolds from a summary, without JavaScript.
    countries.get_by_text(words.other_countries, exact=True).click()
    countries.get_by_label(words.sri_lanka, exact=True).check()

    contact = section(page, words.main_contact)
    contact.get_by_label(words.contact_name).fill(ANSWERS["contact_name"])
    contact.get_by_label(words.contact_job_title).fill(ANSWERS["contact_job_title"])
    contact.get_by_label(words.contact_email).fill(TYPED_EMAIL)
    contact.get_by_label(words.contact_phone).fill(ANSWERS["contact_phone"])

    executive = section(page, words.executive)
    executive.get_by_label(words.executive_name).fill(ANSWERS["executive_name"])
    executive.get_by_label(words.executive_title).fill(ANSWERS["executive_title"])
    executive.get_by_label(words.executive_email).fill(ANSWERS["executive_email"])

    about = section(page, words.about_you)
    about.get_by_role("group", name=words.association_member).get_by_label(words.yes, exact=True).check()
    about.get_by_label(words.association_name).fill(ANSWERS["toy_association_name"])
    about.get_by_label(words.heard_from).select_option(ANSWERS["heard_from"])
    about.get_by_label(words.message).fill(MESSAGE)

    section(page, words.commitments).get_by_label(words.agree).check()
